using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.RootHelpers;

/// <summary>
/// vtpm_setup, the root helper oneadmin runs through sudo, run here as root from the staged
/// remotes tree: what it refuses (anything but a UUID and a VM directory under the node's
/// datastores; any symlink below the VM directory or in libvirt's swtpm state) and that a
/// refusal leaves everything as it was. The round trip through a real swtpm is VtpmStateSpecs.
/// </summary>
public sealed class VtpmSetupHelperSpecs
{
    private const string LibvirtStates = "/var/lib/libvirt/swtpm";

    private static string Helper => TestPaths.Entry("vtpm_setup");

    [Theory]
    [InlineData("recover", "not-a-uuid", "/var/lib/one/datastores/0/7", "vtpm_setup refused the UUID 'not-a-uuid': a UUID is 8-4-4-4-12 hexadecimal digits.")]
    [InlineData("recover", "12345678-1234-1234-1234-123456789abc/../x", "/var/lib/one/datastores/0/7", "vtpm_setup refused the UUID '12345678-1234-1234-1234-123456789abc/../x': a UUID is 8-4-4-4-12 hexadecimal digits.")]
    [InlineData("backup", "12345678-1234-1234-1234-123456789abc", "/tmp/vm", "vtpm_setup refused the VM directory '/tmp/vm': it is not /var/lib/one/datastores/<datastore id>/<vm id>.")]
    [InlineData("backup", "12345678-1234-1234-1234-123456789abc", "/var/lib/one/datastores/0/../../../../etc", "vtpm_setup refused the VM directory '/var/lib/one/datastores/0/../../../../etc': it is not /var/lib/one/datastores/<datastore id>/<vm id>.")]
    [InlineData("backup", "12345678-1234-1234-1234-123456789abc", "var/lib/one/datastores/0/7", "vtpm_setup refused the VM directory 'var/lib/one/datastores/0/7': it is not /var/lib/one/datastores/<datastore id>/<vm id>.")]
    [InlineData("backup", "12345678-1234-1234-1234-123456789abc", "/var/lib/one/datastores/0/7/tpm", "vtpm_setup refused the VM directory '/var/lib/one/datastores/0/7/tpm': it is not /var/lib/one/datastores/<datastore id>/<vm id>.")]
    [InlineData("restore", "12345678-1234-1234-1234-123456789abc", "/var/lib/one/datastores/0/7", "vtpm_setup refused the action 'restore': it knows recover and backup.")]
    public async Task Arguments_that_are_not_a_uuid_and_a_vm_directory_under_the_datastores_are_refused_in_one_sentence(
        string action, string uuid, string vmDirectory, string sentence)
    {
        var result = await ProcessRun.RunAsync(Helper, [action, uuid, vmDirectory]);

        Assert.Equal(sentence, ProtocolAssert.Failed(result));
        Assert.Equal(1, result.ExitCode); // upstream's helpers fail with 1
    }

    [Fact]
    public async Task A_uuid_followed_by_a_newline_is_not_a_uuid()
    {
        var result = await ProcessRun.RunAsync(Helper, ["recover", "12345678-1234-1234-1234-123456789abc\n", "/var/lib/one/datastores/0/7"]);

        Assert.StartsWith("vtpm_setup refused the UUID", ProtocolAssert.Failed(result));
    }

    [Fact]
    public async Task Recover_without_a_saved_state_does_nothing_so_that_swtpm_makes_a_new_tpm()
    {
        using var vm = new NodeVmDirectory();
        var uuid = Guid.NewGuid().ToString();

        var result = await ProcessRun.RunAsync(Helper, ["recover", uuid, vm.Path]);

        ProtocolAssert.Succeeded(result);
        Assert.False(Directory.Exists(Path.Combine(LibvirtStates, uuid)));
    }

    [Fact]
    public async Task Recover_refuses_a_tpm_directory_that_is_a_symlink_out_of_the_vm_directory()
    {
        using var vm = new NodeVmDirectory();
        var elsewhere = TestPaths.NewScratchDirectory("vtpm-elsewhere");
        await File.WriteAllTextAsync(Path.Combine(elsewhere, "tpm2-00.permall"), "not the VM's state");
        File.CreateSymbolicLink(Path.Combine(vm.Path, "tpm"), elsewhere);
        var uuid = Guid.NewGuid().ToString();

        var result = await ProcessRun.RunAsync(Helper, ["recover", uuid, vm.Path]);

        Assert.Equal($"vtpm_setup refused to recover the TPM state: {vm.Path}/tpm is a symbolic link, which a root helper does not follow.",
            ProtocolAssert.Failed(result));
        Assert.False(Directory.Exists(Path.Combine(LibvirtStates, uuid)), "a refused recover created libvirt's state directory");
        Directory.Delete(elsewhere, recursive: true);
    }

    [Fact]
    public async Task Backup_refuses_a_libvirt_state_file_that_is_a_symlink_to_a_file_root_can_read()
    {
        using var vm = new NodeVmDirectory();
        using var state = new LibvirtState();
        var secret = Path.Combine(TestPaths.NewScratchDirectory("vtpm-secret"), "secret");
        await File.WriteAllTextAsync(secret, "root's secret");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead);
        File.CreateSymbolicLink(state.File, secret);

        var result = await ProcessRun.RunAsync(Helper, ["backup", state.Uuid, vm.Path]);

        Assert.Equal($"vtpm_setup refused to back up the TPM state: {state.File} is a symbolic link, which a root helper does not follow.",
            ProtocolAssert.Failed(result));
        Assert.False(Directory.Exists(Path.Combine(vm.Path, "tpm")), "a refused backup wrote into the VM directory");
        Directory.Delete(Path.GetDirectoryName(secret)!, recursive: true);
    }

    [Fact]
    public async Task Backup_refuses_a_libvirt_state_file_that_is_a_hard_link_to_another_file()
    {
        using var vm = new NodeVmDirectory();
        using var state = new LibvirtState();
        // beside it, so that both names are on one file system
        var secret = Path.Combine(Path.GetDirectoryName(state.File)!, "..", "secret");
        await File.WriteAllTextAsync(secret, "root's secret");
        Assert.Equal(0, (await ProcessRun.RunAsync("ln", [secret, state.File])).ExitCode);

        var result = await ProcessRun.RunAsync(Helper, ["backup", state.Uuid, vm.Path]);

        Assert.Equal($"vtpm_setup refused to back up the TPM state: {state.File} has 2 hard links, so it may be another file too.",
            ProtocolAssert.Failed(result));
        Assert.False(Directory.Exists(Path.Combine(vm.Path, "tpm")), "a refused backup wrote into the VM directory");
    }

    [Fact]
    public async Task Backup_replaces_a_symlink_in_the_vm_directory_instead_of_writing_through_it()
    {
        using var vm = new NodeVmDirectory();
        using var state = new LibvirtState();
        await File.WriteAllTextAsync(state.File, "the TPM state");
        var victim = Path.Combine(TestPaths.NewScratchDirectory("vtpm-victim"), "victim");
        await File.WriteAllTextAsync(victim, "must stay");
        Directory.CreateDirectory(Path.Combine(vm.Path, "tpm"));
        var kept = Path.Combine(vm.Path, "tpm", "tpm2-00.permall");
        File.CreateSymbolicLink(kept, victim);

        var result = await ProcessRun.RunAsync(Helper, ["backup", state.Uuid, vm.Path]);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("must stay", await File.ReadAllTextAsync(victim));
        Assert.Null(new FileInfo(kept).LinkTarget);
        Assert.Equal("the TPM state", await File.ReadAllTextAsync(kept));
        Directory.Delete(Path.GetDirectoryName(victim)!, recursive: true);
    }

    [Fact]
    public async Task Backup_refuses_a_vm_directory_that_is_itself_a_symlink()
    {
        using var vm = new NodeVmDirectory();
        using var state = new LibvirtState();
        await File.WriteAllTextAsync(state.File, "the TPM state");
        var elsewhere = TestPaths.NewScratchDirectory("vtpm-target");
        Directory.Delete(vm.Path);
        File.CreateSymbolicLink(vm.Path, elsewhere);

        var result = await ProcessRun.RunAsync(Helper, ["backup", state.Uuid, vm.Path]);

        Assert.Equal($"vtpm_setup refused to back up the TPM state: {vm.Path} is a symbolic link, which a root helper does not follow.",
            ProtocolAssert.Failed(result));
        Assert.Empty(Directory.GetFileSystemEntries(elsewhere));
        File.Delete(vm.Path);
        Directory.Delete(elsewhere);
    }

    /// <summary>libvirt's swtpm state directory of a made-up domain.</summary>
    private sealed class LibvirtState : IDisposable
    {
        public LibvirtState()
        {
            Directory.CreateDirectory(Path.Combine(LibvirtStates, Uuid, "tpm2"));
        }

        public string Uuid { get; } = Guid.NewGuid().ToString();

        public string File => Path.Combine(LibvirtStates, Uuid, "tpm2", "tpm2-00.permall");

        public void Dispose() => Directory.Delete(Path.Combine(LibvirtStates, Uuid), recursive: true);
    }
}
