using System.Formats.Tar;
using System.IO.Compression;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>
/// The vGPU and vTPM steps of deploy, shutdown and cancel, through OpenNebula's root helpers
/// at the top of the remotes tree. The real helpers need NVIDIA vGPU hardware and swtpm; here
/// they are scripts that record their arguments and fail when told to.
/// </summary>
public sealed class RootHelperStepsSpecs : IDisposable
{
    private const string Uuid = "5b3a7c1e-2f4d-4e6a-8b9c-0d1e2f3a4b5c";
    private const string NotFound = "error: failed to get domain 'one-7'\n";

    private readonly LifecycleHost _host = new();

    public RootHelperStepsSpecs()
    {
        VmDirectory = Path.GetDirectoryName(_host.Scratch("0/7/deployment.0"))!;
        Directory.CreateDirectory(VmDirectory);
        // the VM asks for a vGPU: a PCI device with a UUID
        File.WriteAllText(Path.Combine(VmDirectory, "vm.xml"), VmWithVgpu);
    }

    private const string VmWithVgpu =
        "<VM><ID>7</ID><TEMPLATE><PCI><UUID>a1b2c3d4-0000-4000-8000-000000000007</UUID><DOMAIN>0000</DOMAIN><BUS>05</BUS>" +
        "<SLOT>00</SLOT><FUNCTION>0</FUNCTION><PROFILE>nvidia-63</PROFILE></PCI></TEMPLATE></VM>";

    private string VmDirectory { get; }

    private string Deployment => Path.Combine(VmDirectory, "deployment.0");

    private string HelperLog => Path.Combine(_host.Root, "helpers.log");

    private string[] HelperCalls => File.Exists(HelperLog) ? File.ReadAllLines(HelperLog) : [];

    private string DomainXml(bool tpm) =>
        $"<domain type='kvm'><name>one-7</name><uuid>{Uuid}</uuid><memory>65536</memory><devices>" +
        (tpm ? "<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>" : "") +
        "</devices></domain>";

    [Fact]
    public async Task Deploy_creates_the_vgpu_and_puts_the_saved_tpm_state_back_before_the_domain_starts()
    {
        Helper("vgpu").Helper("vtpm_setup");
        Directory.CreateDirectory(Path.Combine(VmDirectory, "tpm"));
        _host.Host.Stdin = DomainXml(tpm: true);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create").On("domuuid", stdout: Uuid + "\n");

        var code = await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost");

        Assert.Equal(0, code);
        Assert.Equal([$"vgpu CREATE {VmDirectory}/vm.xml", $"vtpm_setup recover {Uuid} {VmDirectory}"], HelperCalls);
        Assert.Equal(Uuid + "\n", _host.Host.Stdout.ToString());
    }

    [Fact]
    public async Task A_tpm_state_that_cannot_be_put_back_stops_the_deploy_and_releases_the_vgpu_made_for_it()
    {
        Helper("vgpu").Helper("vtpm_setup", fails: "cp: cannot stat 'tpm/tpm2-00.permall': No such file or directory");
        Directory.CreateDirectory(Path.Combine(VmDirectory, "tpm"));
        _host.Host.Stdin = DomainXml(tpm: true);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create");

        var code = await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost");

        Assert.Equal(1, code);
        Assert.Equal($"Could not restore the vTPM state of one-7 from {VmDirectory}/tpm: vtpm_setup recover failed: " +
                     "cp: cannot stat 'tpm/tpm2-00.permall': No such file or directory.", _host.Sentence);
        Assert.Equal(["domstate"], _host.Virsh.Verbs);
        Assert.Equal($"vgpu DELETE {VmDirectory}/vm.xml", HelperCalls[^1]);
    }

    [Fact]
    public async Task A_failed_create_releases_the_vgpu_that_no_domain_uses()
    {
        Helper("vgpu");
        _host.Host.Stdin = DomainXml(tpm: false);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create", exit: 1, stderr: "error: mdev device not found\n");

        Assert.Equal(1, await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost"));
        Assert.Equal([$"vgpu CREATE {VmDirectory}/vm.xml", $"vgpu DELETE {VmDirectory}/vm.xml"], HelperCalls);
    }

    [Fact]
    public async Task After_a_backup_restore_the_tpm_state_comes_from_the_vm_template()
    {
        Helper("vtpm_setup");
        await File.WriteAllTextAsync(Path.Combine(VmDirectory, "vm.xml"),
            $"<VM><ID>7</ID><USER_TEMPLATE><TPM_STATE>{TpmArchive("the TPM's keys")}</TPM_STATE></USER_TEMPLATE></VM>");
        _host.Host.Stdin = DomainXml(tpm: true);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create").On("domuuid", stdout: Uuid + "\n");

        Assert.Equal(0, await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost"));
        Assert.Equal("the TPM's keys", await File.ReadAllTextAsync(Path.Combine(VmDirectory, "tpm", "tpm2-00.permall")));
        Assert.Equal([$"vtpm_setup recover {Uuid} {VmDirectory}"], HelperCalls);
    }

    [Theory]
    [InlineData(false, "shutdown")] // the guest is asked
    [InlineData(true, "destroy")] // CANCEL_NO_ACPI: a guest without ACPI is destroyed
    public async Task Shutdown_backs_the_tpm_state_up_first_releases_the_vgpu_after_and_reads_xml_and_metadata_once(bool cancelNoAcpi,
        string stop)
    {
        Helper("vgpu").Helper("vtpm_setup");
        if (cancelNoAcpi)
        {
            _host.WithSetting("CANCEL_NO_ACPI", "yes");
        }
        ScriptRunningDomain();
        // gone at the domstate after the stop: CANCEL_NO_ACPI's destroy asks no state before it
        _host.Virsh.On(stop).On("domstate", exit: 1, stderr: NotFound, call: cancelNoAcpi ? 1 : 2);

        var code = await _host.RunAsync("shutdown", "one-7", "localhost", "7", "localhost");

        Assert.Equal(0, code);
        Assert.Equal([$"vtpm_setup backup {Uuid} {VmDirectory}", $"vgpu DELETE {VmDirectory}/vm.xml"], HelperCalls);
        // CANCEL_NO_ACPI reads the XML first, and destroys a domain without ACPI without asking its state
        Assert.Equal(cancelNoAcpi
            ? ["dumpxml", "metadata", stop, "domstate"]
            : ["domstate", "dumpxml", "metadata", stop, "domstate"], _host.Virsh.Verbs);
    }

    [Fact]
    public async Task A_tpm_state_that_cannot_be_backed_up_keeps_the_vm_running_because_the_shutdown_would_lose_it()
    {
        Helper("vtpm_setup", fails: "cp: cannot create regular file: Read-only file system");
        ScriptRunningDomain();
        _host.Virsh.On("shutdown");

        var code = await _host.RunAsync("shutdown", "one-7", "localhost", "7", "localhost");

        Assert.Equal(1, code);
        Assert.Equal($"Could not back up the vTPM state of one-7 to {VmDirectory}/tpm (it was not shut down): vtpm_setup backup failed: " +
                     "cp: cannot create regular file: Read-only file system.", _host.Sentence);
        Assert.Equal(0, _host.Virsh.CallsTo("shutdown"));
    }

    [Fact]
    public async Task A_helper_that_hangs_is_killed_at_virsh_timeout_and_the_deploy_fails_before_the_domain_exists()
    {
        _host.WithSetting("VIRSH_TIMEOUT", "1");
        ExecutableFile.Write(Path.Combine(_host.Root, "vgpu"), "#!/bin/bash\nexec sleep 30\n");
        _host.Host.Stdin = DomainXml(tpm: false);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create");

        var code = await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost");

        Assert.Equal(1, code);
        Assert.Equal("Could not create the vGPU of one-7: vgpu CREATE did not finish within 1 s (VIRSH_TIMEOUT) and was killed.", _host.Sentence);
        Assert.Equal(0, _host.Virsh.CallsTo("create"));
    }

    [Fact]
    public async Task A_tpm_state_archive_cannot_write_outside_the_tpm_directory_of_the_vm()
    {
        Helper("vtpm_setup");
        await File.WriteAllTextAsync(Path.Combine(VmDirectory, "vm.xml"),
            $"<VM><USER_TEMPLATE><TPM_STATE>{TpmArchive("keys", ("../escaped", "x"), ("deployment.0", "overwritten"))}</TPM_STATE></USER_TEMPLATE></VM>");
        _host.Host.Stdin = DomainXml(tpm: true);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create").On("domuuid", stdout: Uuid + "\n");

        Assert.Equal(0, await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost"));
        Assert.Equal("keys", await File.ReadAllTextAsync(Path.Combine(VmDirectory, "tpm", "tpm2-00.permall")));
        Assert.False(File.Exists(Path.Combine(VmDirectory, "..", "escaped")));
        Assert.StartsWith("<domain", await File.ReadAllTextAsync(Deployment));
    }

    [Fact]
    public async Task Cancel_releases_the_vgpu_once_the_domain_is_gone_and_a_failed_release_is_only_a_warning()
    {
        Helper("vgpu", fails: "nvidia: mdev busy");
        _host.Virsh.On("metadata", stdout: $"<vm><system_datastore>{VmDirectory}</system_datastore></vm>\n")
            .On("destroy").On("domstate", exit: 1, stderr: NotFound);

        var code = await _host.RunAsync("cancel", "one-7", "localhost", "7", "localhost");

        Assert.Equal(0, code);
        Assert.Equal([$"vgpu DELETE {VmDirectory}/vm.xml"], HelperCalls);
    }

    [Fact]
    public async Task A_vm_without_a_vgpu_does_not_run_the_vgpu_helper_on_deploy_or_cancel()
    {
        Helper("vgpu");
        await File.WriteAllTextAsync(Path.Combine(VmDirectory, "vm.xml"),
            "<VM><ID>7</ID><TEMPLATE><PCI><DOMAIN>0000</DOMAIN><BUS>03</BUS><SLOT>00</SLOT><FUNCTION>0</FUNCTION></PCI></TEMPLATE></VM>");
        _host.Host.Stdin = DomainXml(tpm: false);
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound, call: 1).On("create").On("domuuid", stdout: Uuid + "\n")
            .On("metadata", stdout: $"<vm><system_datastore>{VmDirectory}</system_datastore></vm>\n")
            .On("destroy").On("domstate", exit: 1, stderr: NotFound, call: 2);

        Assert.Equal(0, await _host.RunAsync("deploy", Deployment, "localhost", "7", "localhost"));
        Assert.Equal(0, await _host.RunAsync("cancel", "one-7", "localhost", "7", "localhost"));
        Assert.Empty(HelperCalls);
    }

    [Fact]
    public async Task Without_the_helpers_in_the_remotes_tree_shutdown_makes_no_extra_call()
    {
        _host.Virsh.On("domstate", stdout: "running\n", call: 1).On("shutdown").On("domstate", exit: 1, stderr: NotFound, call: 2);

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7", "localhost", "7", "localhost"));
        Assert.Equal(["domstate", "shutdown", "domstate"], _host.Virsh.Verbs);
    }

    [Fact]
    public void A_helper_runs_through_sudo_without_a_prompt_unless_onekvm_is_root()
    {
        var (program, arguments) = RootHelper.Invocation("/var/tmp/one/vgpu", ["CREATE", "/x/vm.xml"], root: false);

        Assert.Equal("sudo", program);
        Assert.Equal(["-n", "/var/tmp/one/vgpu", "CREATE", "/x/vm.xml"], arguments);
        Assert.Equal("/var/tmp/one/vgpu", RootHelper.Invocation("/var/tmp/one/vgpu", ["CREATE"], root: true).Program);
    }

    public void Dispose() => _host.Dispose();

    private void ScriptRunningDomain() =>
        _host.Virsh.On("domstate", stdout: "running\n", call: 1)
            // the live XML of an active domain: libvirt gives it an id
            .On("dumpxml", stdout: DomainXml(tpm: true).Replace("<domain type='kvm'>", "<domain type='kvm' id='3'>", StringComparison.Ordinal))
            .On("metadata", stdout: $"<vm><system_datastore>{VmDirectory}</system_datastore></vm>\n");

    /// <summary>A helper at the top of the remotes tree that logs "name args..." and fails with <paramref name="fails"/> on stderr.</summary>
    private RootHelperStepsSpecs Helper(string name, string? fails = null)
    {
        var path = Path.Combine(_host.Root, name);
        ExecutableFile.Write(path, $"""
            #!/bin/bash
            echo "{name} $*" >> '{HelperLog}'
            {(fails is null ? "exit 0" : $"echo \"{fails}\" >&2; exit 1")}

            """);
        return this;
    }

    /// <summary>What OpenNebula's backup keeps of a VM's TPM: tar czf - tpm, base64; plus any <paramref name="extra"/> members.</summary>
    private static string TpmArchive(string content, params (string Name, string Content)[] extra)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, "tpm/"));
            foreach (var (name, data) in extra.Prepend(("tpm/tpm2-00.permall", content)))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
                {
                    DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(data)),
                });
            }
        }
        return Convert.ToBase64String(buffer.ToArray());
    }
}
