using OneKvm.Remotes.Specs.Lifecycle;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>
/// QEMU maps and pins all of a guest's memory for a passthrough device, so its attach lasts
/// as long as the guest is large: VIRSH_TIMEOUT does not cut it, one_vmm_exec's action
/// timeout does. A NIC on a bridge answers at once, so a hang there is still killed.
/// (No PCI device can be handed to a guest on this machine: the virsh is a scripted one.)
/// </summary>
public sealed class PassthroughAttachSpecs : IDisposable
{
    private const string Domain = "<domain type='kvm'><name>one-42</name><devices></devices></domain>";

    private readonly LifecycleHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_pci_passthrough_attach_that_outlasts_virsh_timeout_is_waited_for()
    {
        _host.WithSetting("VIRSH_TIMEOUT", "1");
        _host.Host.Stdin = VmDocument.Create(42).With(VmDocument.Vector("PCI",
            ("ATTACH", "YES"), ("PCI_ID", 0), ("DOMAIN", "0000"), ("BUS", "05"), ("SLOT", "02"), ("FUNCTION", "0"),
            ("ADDRESS", "0000:05:02.0"), ("SHORT_ADDRESS", "05:02.0"))).ToString();
        _host.Virsh.On("dumpxml", stdout: Domain).On("attach-device", seconds: 2);

        var code = await _host.RunAsync("attach_nic", "one-42", "00:00:00:00:00:00", "-", "-", "-", "-");

        Assert.True(code == 0, _host.Host.Stderr.ToString());
        Assert.Equal(["attach-device", "--domain", "one-42", "--file", "/dev/stdin"], _host.Virsh.Calls[^1]);
        Assert.StartsWith("<hostdev ", _host.Virsh.Stdin("attach-device", 1), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bridged_nic_attach_that_outlasts_virsh_timeout_is_killed()
    {
        _host.WithSetting("VIRSH_TIMEOUT", "1");
        _host.Host.Stdin = VmDocument.Create(42).With(Nic(("BRIDGE", "onebr0"), ("TARGET", "one-42-1"))).ToString();
        _host.Virsh.On("dumpxml", stdout: Domain).On("attach-device", seconds: 2);

        var code = await _host.RunAsync("attach_nic", "one-42", "02:00:0a:00:00:05", "onebr0", "-", "bridge", "one-42-1");

        Assert.Equal(1, code);
        Assert.StartsWith("Could not attach NIC 02:00:0a:00:00:05 to one-42: virsh attach-device did not finish within 1 s (VIRSH_TIMEOUT)", _host.Sentence);
    }
}
