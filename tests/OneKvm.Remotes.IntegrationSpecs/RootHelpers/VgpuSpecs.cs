using System.Diagnostics;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.RootHelpers;

/// <summary>
/// vgpu, run as root from the staged remotes tree. No GPU offers mediated devices here, so
/// each run gets a tree laid out as the kernel's (/sys/class/mdev_bus/&lt;address&gt;/
/// mdev_supported_types/&lt;type&gt;/create, .../devices/&lt;uuid&gt;/remove; NVIDIA's SR-IOV
/// /sys/bus/pci/devices/&lt;address&gt;/nvidia/creatable_vgpu_types and current_vgpu_type)
/// bind-mounted over the real paths in a private mount namespace: the helper has no way to
/// be pointed elsewhere, and what it wrote is read back from the tree. The kernel would turn
/// those writes into devices; that part is what cannot be had without the hardware.
/// </summary>
public sealed class VgpuSpecs : IDisposable
{
    private const string Gpu = "0000:05:00.0";
    private const string VirtualFunction = "0000:06:00.4";
    private const string First = "a1b2c3d4-0000-4000-8000-000000000001";
    private const string Second = "a1b2c3d4-0000-4000-8000-000000000002";

    // runs in the namespace: mounts "<source> <target>" pairs up to --, then execs the rest; its arguments are data
    private const string InNamespace = """
        set -e
        while [ "$1" != "--" ]; do mount --bind "$1" "$2"; shift 2; done
        shift
        exec "$@"
        """;

    private readonly NodeVmDirectory _vm = new();
    private readonly string _sysfs = TestPaths.NewScratchDirectory("vgpu-sysfs");

    public VgpuSpecs()
    {
        foreach (var type in new[] { "nvidia-62", "nvidia-63" })
        {
            var directory = Path.Combine(MdevTypes, type);
            Directory.CreateDirectory(Path.Combine(directory, "devices"));
            File.WriteAllText(Path.Combine(directory, "create"), "");
        }
        Directory.CreateDirectory(Nvidia);
        File.WriteAllText(Path.Combine(Nvidia, "creatable_vgpu_types"), "ID    : vGPU Name\n557   : NVIDIA A40-8Q\n558   : NVIDIA A40-12Q\n");
        File.WriteAllText(Path.Combine(Nvidia, "current_vgpu_type"), "0\n");
    }

    private string MdevTypes => Path.Combine(_sysfs, "class", "mdev_bus", Gpu, "mdev_supported_types");

    private string Nvidia => Path.Combine(_sysfs, "pci", VirtualFunction, "nvidia");

    private string VmXml => Path.Combine(_vm.Path, "vm.xml");

    [Fact]
    public async Task Create_makes_each_vgpu_of_vm_xml_on_the_mdev_bus_and_delete_removes_them()
    {
        await WriteVmAsync(Pci(First, Gpu, "nvidia-63"), Pci(Second, Gpu, profile: null), PassThrough());

        var create = await RunAsync("CREATE", VmXml);

        ProtocolAssert.Succeeded(create);
        Assert.Equal(First + "\n", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-63", "create")));
        // no PROFILE: the GPU's first type, as upstream's ls | head -n1
        Assert.Equal(Second + "\n", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-62", "create")));
        Assert.Contains($"INFO: vgpu: Created the mediated device {First} of type nvidia-63 on {Gpu}", create.Stderr);

        // what the kernel makes of a create: the device with its remove attribute
        foreach (var (uuid, type) in new[] { (First, "nvidia-63"), (Second, "nvidia-62") })
        {
            Directory.CreateDirectory(Path.Combine(MdevTypes, type, "devices", uuid));
            File.WriteAllText(Path.Combine(MdevTypes, type, "devices", uuid, "remove"), "");
        }
        var delete = await RunAsync("delete", VmXml);

        ProtocolAssert.Succeeded(delete);
        Assert.Equal("1\n", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-63", "devices", First, "remove")));
        Assert.Equal("1\n", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-62", "devices", Second, "remove")));
    }

    [Fact]
    public async Task Sriov_mode_activates_the_vgpu_type_on_the_virtual_function_and_delete_deactivates_it()
    {
        await WriteVmAsync(Pci(First, VirtualFunction, "558 (NVIDIA A40-12Q)", mode: "nvidia"));

        ProtocolAssert.Succeeded(await RunAsync("CREATE", VmXml));
        Assert.Equal("558\n", File.ReadAllText(Path.Combine(Nvidia, "current_vgpu_type")));

        ProtocolAssert.Succeeded(await RunAsync("DELETE", VmXml));
        Assert.Equal("0\n", File.ReadAllText(Path.Combine(Nvidia, "current_vgpu_type")));
    }

    [Fact]
    public async Task Sriov_mode_without_a_profile_takes_the_first_type_the_gpu_offers()
    {
        await WriteVmAsync(Pci(First, VirtualFunction, profile: null, mode: "nvidia"));

        ProtocolAssert.Succeeded(await RunAsync("CREATE", VmXml));
        Assert.Equal("557\n", File.ReadAllText(Path.Combine(Nvidia, "current_vgpu_type")));
    }

    [Fact]
    public async Task A_type_the_virtual_function_does_not_offer_fails_the_create()
    {
        await WriteVmAsync(Pci(First, VirtualFunction, "999", mode: "nvidia"));

        var result = await RunAsync("CREATE", VmXml);

        Assert.Equal($"Profile '999' not supported by vGPU {VirtualFunction}: /sys/bus/pci/devices/{VirtualFunction}/nvidia/creatable_vgpu_types offers 557, 558.",
            ProtocolAssert.Failed(result));
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("0\n", File.ReadAllText(Path.Combine(Nvidia, "current_vgpu_type")));
    }

    [Fact]
    public async Task A_gpu_that_is_not_there_fails_the_create_but_a_device_that_will_not_go_only_warns_on_delete()
    {
        await WriteVmAsync(Pci(First, "0000:09:00.0", "nvidia-63"));

        var create = await RunAsync("CREATE", VmXml);

        Assert.Equal($"Directory '/sys/class/mdev_bus/0000:09:00.0' does not exist: no such device for vGPU {First}.", ProtocolAssert.Failed(create));

        await WriteVmAsync(Pci(First, Gpu, "nvidia-63"));
        var delete = await RunAsync("DELETE", VmXml);

        ProtocolAssert.Succeeded(delete);
        Assert.Contains($"WARN: vgpu: Could not remove the mediated device {First} on {Gpu}:", delete.Stderr);
    }

    [Theory]
    [InlineData("0000", "05/../../../..", "00", "0", "nvidia-63", "vgpu refused the PCI address '0000:05/../../../..:00.0' of vGPU a1b2c3d4-0000-4000-8000-000000000001: a PCI address is dddd:bb:ss.f in hexadecimal.")]
    [InlineData("0000", "05", "00", "8", "nvidia-63", "vgpu refused the PCI address '0000:05:00.8' of vGPU a1b2c3d4-0000-4000-8000-000000000001: a PCI address is dddd:bb:ss.f in hexadecimal.")]
    [InlineData("0000", "05", "00", "0", "../../../../../tmp", "vgpu refused the profile '../../../../../tmp' of vGPU a1b2c3d4-0000-4000-8000-000000000001: an mdev type is one name of letters, digits, '.', '_', '-' or ':'.")]
    [InlineData("0000", "05", "00", "0", "..", "vgpu refused the profile '..' of vGPU a1b2c3d4-0000-4000-8000-000000000001: an mdev type is one name of letters, digits, '.', '_', '-' or ':'.")]
    public async Task A_pci_address_or_profile_that_could_leave_the_device_directory_is_refused_before_anything_is_written(
        string domain, string bus, string slot, string function, string profile, string sentence)
    {
        // the good device first: a refusal of the second must come before the first is made
        await WriteVmAsync(Pci(Second, Gpu, "nvidia-62"),
            new XElement("PCI", new XElement("UUID", First), new XElement("DOMAIN", domain), new XElement("BUS", bus),
                new XElement("SLOT", slot), new XElement("FUNCTION", function), new XElement("PROFILE", profile)));

        var result = await RunAsync("CREATE", VmXml);

        Assert.Equal(sentence, ProtocolAssert.Failed(result));
        Assert.Equal("", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-62", "create")));
    }

    [Fact]
    public async Task A_vm_xml_outside_a_vm_directory_of_the_datastores_or_behind_a_symlink_is_refused()
    {
        var elsewhere = Path.Combine(_sysfs, "vm.xml");
        await File.WriteAllTextAsync(elsewhere, new XElement("VM", new XElement("TEMPLATE", Pci(First, Gpu, "nvidia-63"))).ToString());
        File.CreateSymbolicLink(VmXml, elsewhere);

        var outside = await RunAsync("CREATE", elsewhere);
        var linked = await RunAsync("CREATE", VmXml);

        Assert.Equal($"vgpu refused the file '{elsewhere}': it is not /var/lib/one/datastores/<datastore id>/<vm id>/vm.xml.", ProtocolAssert.Failed(outside));
        Assert.Equal($"vgpu refused to read {VmXml}: {VmXml} is a symbolic link, which a root helper does not follow.", ProtocolAssert.Failed(linked));
        Assert.Equal("", File.ReadAllText(Path.Combine(MdevTypes, "nvidia-63", "create")));
    }

    [Fact]
    public async Task Without_a_vm_xml_there_is_nothing_to_do_as_upstream()
    {
        ProtocolAssert.Succeeded(await RunAsync("CREATE", VmXml));
    }

    [Fact]
    public async Task The_monitor_client_is_told_only_when_its_pid_file_and_its_process_belong_to_the_same_user()
    {
        await WriteVmAsync(Pci(First, Gpu, "nvidia-63"));
        var varTmp = TestPaths.NewScratchDirectory("vgpu-vartmp");
        Directory.CreateDirectory(Path.Combine(varTmp, "one_db"));
        var pidFile = Path.Combine(varTmp, "one_db", ".monitor_client.pid");
        // SIGUSR1 ends a process that does not handle it: that is how the test sees it was sent
        using var nobodys = Process.Start("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "60"]);
        using var roots = Process.Start("sleep", ["60"]);
        try
        {
            foreach (var (process, signalled) in new[] { (roots, false), (nobodys, true) })
            {
                await File.WriteAllTextAsync(pidFile, process.Id + "\n");
                Assert.Equal(0, (await ProcessRun.RunAsync("chown", ["65534", pidFile])).ExitCode);

                ProtocolAssert.Succeeded(await RunAsync("CREATE", VmXml, (varTmp, "/var/tmp")));

                Assert.Equal(signalled, process.WaitForExit(TimeSpan.FromSeconds(5)));
            }
            Assert.Equal(128 + 10, nobodys.ExitCode);
        }
        finally
        {
            foreach (var process in new[] { roots, nobodys }.Where(p => !p.HasExited))
            {
                process.Kill();
            }
            Directory.Delete(varTmp, recursive: true);
        }
    }

    [Fact]
    public async Task Datastore_prints_the_vm_directory_of_a_domain_from_its_opennebula_metadata()
    {
        var xml = DomainXml.Diskless(TestNames.Domain("vgpu-ds")).WithElement(LifecycleXml.OneMetadata(_vm.Path));
        await using var domain = await TestDomain.StartAsync(xml);

        var result = await ProcessRun.RunAsync(TestPaths.Entry("vgpu"), ["DATASTORE", xml.Name]);

        ProtocolAssert.Succeeded(result);
        Assert.Equal(_vm.Path + "\n", result.Stdout);
    }

    public void Dispose()
    {
        _vm.Dispose();
        Directory.Delete(_sysfs, recursive: true);
    }

    private async Task<ProcessResult> RunAsync(string action, string vmXml, params (string Source, string Target)[] extraMounts)
    {
        string[] mounts =
        [
            Path.Combine(_sysfs, "class"), "/sys/class",
            Path.Combine(_sysfs, "pci"), "/sys/bus/pci/devices",
            .. extraMounts.SelectMany(m => new[] { m.Source, m.Target }),
        ];
        return await ProcessRun.RunAsync("unshare",
            ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", InNamespace, "sh", .. mounts, "--", TestPaths.Entry("vgpu"), action, vmXml]);
    }

    private Task WriteVmAsync(params XElement[] pcis) =>
        File.WriteAllTextAsync(VmXml, new XElement("VM", new XElement("ID", 7), new XElement("TEMPLATE", pcis)).ToString());

    private static XElement Pci(string uuid, string address, string? profile, string? mode = null)
    {
        var (domain, rest) = (address[..4], address[5..]);
        return new XElement("PCI",
            new XElement("UUID", uuid),
            new XElement("DOMAIN", domain), new XElement("BUS", rest[..2]), new XElement("SLOT", rest[3..5]), new XElement("FUNCTION", rest[6..]),
            profile is null ? null : new XElement("PROFILE", profile),
            mode is null ? null : new XElement("MDEV_MODE", mode));
    }

    /// <summary>A PCI passthrough device (no UUID): not a vGPU, left alone.</summary>
    private static XElement PassThrough() =>
        new("PCI", new XElement("DOMAIN", "0000"), new XElement("BUS", "07"), new XElement("SLOT", "00"), new XElement("FUNCTION", "0"));
}
