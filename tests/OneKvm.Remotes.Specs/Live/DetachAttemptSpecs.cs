using OneKvm.Remotes.Specs.Lifecycle;
using Xunit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>A detach is one request per attempt: VIRSH_RETRIES requests in all, however libvirt refuses them.</summary>
public sealed class DetachAttemptSpecs : IDisposable
{
    private const string Domain =
        "<domain type='kvm'><name>one-42</name><devices><interface type='bridge'><mac address='02:00:0a:00:00:05'/><source bridge='onebr0'/></interface></devices></domain>";

    private readonly LifecycleHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_detach_libvirt_keeps_refusing_as_busy_makes_virsh_retries_requests_in_all_not_virsh_retries_squared()
    {
        // each request: libvirt busy twice, then the guest busy (libvirt's lock is what a runner retries by itself)
        _host.Virsh.On("dumpxml", stdout: Domain).On("detach-device", exit: 1, stderr: "error: internal error: unable to execute QEMU command 'device_del': guest is busy\n");
        foreach (var call in new[] { 1, 2, 4, 5, 7, 8 })
        {
            _host.Virsh.On("detach-device", exit: 1, stderr: "error: Timed out during operation: cannot acquire state change lock (held by monitor=x)\n", call: call);
        }

        var code = await _host.RunAsync("detach_nic", "one-42", "02:00:0a:00:00:05", "-", "-");

        Assert.Equal(1, code);
        Assert.Equal(3, _host.Virsh.CallsTo("detach-device"));
        Assert.StartsWith("Could not detach NIC 02:00:0a:00:00:05 from one-42: the guest has not released it after 3 attempts (VIRSH_RETRIES)", _host.Sentence);
    }
}
