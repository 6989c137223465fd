using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Monitoring;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Guest;

/// <summary>
/// The tiny agent guest as a VM with an NVIDIA GPU passed through, as oned describes it
/// (one:pci_devices vendor:device:class in the domain metadata; the guest carries a
/// stand-in nvidia-smi), and a NIC whose address the spec sets inside the guest.
/// </summary>
public sealed class GpuAgentGuest : AgentGuest
{
    public const string Address = "192.0.2.17";

    protected override DomainXml Xml => base.Xml
        .WithDevice(new XElement("interface", new XAttribute("type", "ethernet"), new XElement("model", new XAttribute("type", "virtio"))))
        .WithElement(Metadata());

    private static XElement Metadata()
    {
        XNamespace one = "http://opennebula.org/xmlns/libvirt/1.0";
        return new XElement("metadata",
            new XElement(one + "vm", new XAttribute(XNamespace.Xmlns + "one", one.NamespaceName),
                new XElement(one + "pci_devices", "10de:26b9:0302")));
    }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await RunInGuestAsync("ip", "link", "set", "eth0", "up");
        await RunInGuestAsync("ip", "addr", "add", Address + "/24", "dev", "eth0");
    }
}

/// <summary>vm_monitor's guest agent keys, driven by guestagent.conf as upstream reads it, against a real qemu-ga.</summary>
[Collection(GuestAgentCollection.Name)]
public sealed class GuestMonitorSpecs(GpuAgentGuest guest) : IClassFixture<GpuAgentGuest>, IDisposable
{
    /// <summary>guestagent.conf in upstream's syntax: string and hash commands, filters in flow and block form.</summary>
    public const string EnabledConf = """
        # monitoring through the QEMU guest agent
        :enabled: true
        :commands:
          :vm_qemu_ping: one-$vm_id '{"execute":"guest-ping"}' --timeout 5
          :vm_hostname:
            :command: one-$vm_id '{"execute":"guest-get-host-name"}' --timeout 5
            :os_types: [posix]
            :os_machines: ['x86_64', amd64]
          :vm_windows_only:
            :command: one-$vm_id '{"execute":"guest-ping"}' --timeout 5
            :os_types:
              - mswindows
          :vm_tiny_1:
            :command: one-$vm_id '{"execute":"guest-get-timezone"}' --timeout 5
            :os_ids: [onekvm-tiny]
            :os_versions: ['1.0']
        """;

    private readonly string _remotes = CopyRemotes();

    /// <summary>A copy of the staged tree, so that its etc/im/kvm-probes.d/guestagent.conf is this spec's.</summary>
    internal static string CopyRemotes()
    {
        var root = Path.Combine(TestPaths.NewScratchDirectory("ga-remotes"), "remotes");
        var copy = ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes, root]).GetAwaiter().GetResult();
        Assert.True(copy.ExitCode == 0, copy.ToString());
        Directory.CreateDirectory(Path.Combine(root, "etc", "im", "kvm-probes.d"));
        return root;
    }

    private string ConfPath => Path.Combine(_remotes, "etc", "im", "kvm-probes.d", "guestagent.conf");

    private async Task<(MonitorReport Vm, ProcessResult Run)> MonitorAsync()
    {
        var run = await Driver.Staged.WithRemotes(_remotes).WithEnvironment("ONEKVM_RUN_DIR", Path.GetDirectoryName(_remotes))
            .RunEntryAsync(ProbeOutput.MonitorProbe, null, "kvm", "0", "localhost");
        ProtocolAssert.Succeeded(run);
        return (ProbeOutput.Monitor(run.Stdout).Single(r => r.Id == guest.VmId), run);
    }

    [Fact]
    public async Task With_the_agent_enabled_the_vm_reports_its_os_addresses_gpus_and_every_command_its_filters_allow()
    {
        await File.WriteAllTextAsync(ConfPath, EnabledConf);

        var (vm, run) = await MonitorAsync();

        Assert.Equal("onekvm-tiny", vm.Values["OS_ID"]);
        Assert.Equal("posix", vm.Values["OS_TYPE"]);
        Assert.Equal("1.0", vm.Values["OS_VERSION"]);
        Assert.Equal("x86_64", vm.Values["OS_MACHINE"]);
        Assert.Equal(GpuAgentGuest.Address, vm.Values["GUEST_IP"]);
        Assert.StartsWith(GpuAgentGuest.Address, vm.Values["GUEST_IP_ADDRESSES"], StringComparison.Ordinal);
        Assert.Equal("{}", vm.Values["VM_QEMU_PING"]);
        Assert.Equal("{\\\"host-name\\\"=>\\\"(none)\\\"}", vm.Values["VM_HOSTNAME"]);
        Assert.StartsWith("{\\\"zone\\\"=>", vm.Values["VM_TINY_1"], StringComparison.Ordinal);
        Assert.False(vm.Values.ContainsKey("VM_WINDOWS_ONLY"));
        // two GPUs in the stand-in nvidia-smi: utilisations averaged, memory and power summed
        Assert.Equal("47.5", vm.Values["GPU_UTILIZATION"]);
        Assert.Equal("16.0", vm.Values["GPU_MEMORY_UTILIZATION"]);
        Assert.Equal("23354.0", vm.Values["GPU_MEMORY_FREE"]);
        Assert.Equal("173.82", vm.Values["GPU_POWER_USAGE"]);
        Assert.Equal("2", vm.Values["GPU_COUNT"]);
        // the keys come after upstream's fixed ones, the commands last
        var keys = vm.Values.Keys.ToList();
        Assert.True(keys.IndexOf("DISKWRIOPS") < keys.IndexOf("GPU_UTILIZATION") && keys.IndexOf("GPU_COUNT") < keys.IndexOf("OS_ID")
            && keys.IndexOf("GUEST_IP_ADDRESSES") < keys.IndexOf("VM_QEMU_PING"), string.Join(",", keys));
    }

    [Fact]
    public async Task With_the_agent_disabled_each_command_says_so_and_no_agent_is_asked_but_the_gpu_is_still_read()
    {
        await File.WriteAllTextAsync(ConfPath, EnabledConf.Replace(":enabled: true", ":enabled: false", StringComparison.Ordinal));

        var (vm, _) = await MonitorAsync();

        Assert.Equal("QEMU Guest Agent monitoring disabled", vm.Values["VM_QEMU_PING"]);
        Assert.Equal("QEMU Guest Agent monitoring disabled", vm.Values["VM_WINDOWS_ONLY"]);
        Assert.False(vm.Values.ContainsKey("OS_ID"));
        Assert.False(vm.Values.ContainsKey("GUEST_IP"));
        Assert.Equal("2", vm.Values["GPU_COUNT"]);
    }

    [Fact]
    public async Task Without_guestagent_conf_there_are_no_agent_keys()
    {
        File.Delete(ConfPath);

        var (vm, _) = await MonitorAsync();

        Assert.DoesNotContain(vm.Values.Keys, k => k.StartsWith("VM_", StringComparison.Ordinal) || k.StartsWith("OS_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_conf_that_cannot_be_read_gives_one_warning_and_the_usual_report()
    {
        await File.WriteAllTextAsync(ConfPath, ":enabled: true\n:commands:\n  :broken:\n    :os_types: [posix]\n");

        var (vm, run) = await MonitorAsync();

        Assert.Contains(ProtocolAssert.LogLines(run, "WARN"), l => l.Contains("No guest agent keys", StringComparison.Ordinal) && l.Contains("has no :command:", StringComparison.Ordinal));
        Assert.False(vm.Values.ContainsKey("OS_ID"));
        Assert.True(vm.Values.ContainsKey("NETRX"));
    }

    [Fact]
    public async Task A_vm_without_an_agent_gets_libvirts_sentence_without_a_wait()
    {
        await File.WriteAllTextAsync(ConfPath, EnabledConf);
        var id = TestNames.OneVmId();
        await using var plain = await TestDomain.StartAsync(DomainXml.Diskless($"one-{id}", type: "qemu"));
        var run = await Driver.Staged.WithRemotes(_remotes).WithEnvironment("ONEKVM_RUN_DIR", Path.GetDirectoryName(_remotes))
            .RunEntryAsync(ProbeOutput.MonitorProbe, null, "kvm", "0", "localhost");

        ProtocolAssert.Succeeded(run);
        var vm = ProbeOutput.Monitor(run.Stdout).Single(r => r.Id == id);
        Assert.Equal("error: argument unsupported: QEMU guest agent is not configured", vm.Values["VM_QEMU_PING"]);
        Assert.False(vm.Values.ContainsKey("OS_ID"));
        Assert.False(vm.Values.ContainsKey("GPU_COUNT"));
        Assert.True(run.Duration < TimeSpan.FromSeconds(20), $"took {run.Duration}");
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_remotes)!, recursive: true);
}
