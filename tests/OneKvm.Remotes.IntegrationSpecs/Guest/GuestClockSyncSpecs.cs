using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Guest;

/// <summary>
/// SYNC_TIME=yes against a real qemu-ga. While a domain is saved its QEMU process is gone
/// and the guest's kernel clock stands still; restored, it carries on from the saved value,
/// so a checkpoint taken N minutes earlier comes back N minutes behind, while the RTC (which
/// QEMU bases on the host clock) is right. The spec first shows that on a real 20 s save
/// without SYNC_TIME, then makes "minutes earlier" by setting the guest's system clock 7
/// minutes back before the save: the same state (system clock behind, RTC right) without
/// waiting minutes. The agent's guest-set-time without a time (virsh domtime --sync) sets the
/// system clock from the RTC.
/// </summary>
[Collection(GuestAgentCollection.Name)]
public sealed class GuestClockSyncSpecs
{
    private static async Task<long> GuestClockAsync(string domain)
    {
        var time = await TestVirsh.CheckedAsync("domtime", domain);
        return long.Parse(time.Trim().Split(':')[1].Trim(), CultureInfo.InvariantCulture);
    }

    private static long HostClock => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static Task<ProcessResult> Save(Scratch scratch, string domain) =>
        Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId), domain, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

    private static Task<ProcessResult> Restore(Scratch scratch, string uuid, bool syncTime) =>
        Driver.Staged.WithKvmrc($"SYNC_TIME={(syncTime ? "yes" : "no")}\n").RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", uuid, scratch.Vm, "localhost");

    [Fact]
    public async Task After_a_restore_of_a_checkpoint_taken_minutes_earlier_the_guest_clock_is_set_right_through_the_agent()
    {
        await using var scratch = new Scratch("sync-time");
        var name = "one-" + scratch.Vm;
        scratch.Owns(name);
        var console = Path.Combine(scratch.Root, "console.log");
        var xml = AgentGuest.WithAgent(DomainXml.TinyGuest(name, console)).WithElement(LifecycleXml.OneMetadata(scratch.VmDirectory));
        await scratch.StartAsync(xml);
        Assert.True(await AgentGuest.WaitForAgentAsync(name, TinyGuest.BootTimeout), "qemu-ga never answered");
        var uuid = (await TestVirsh.CheckedAsync("domuuid", name)).Trim();
        Assert.InRange(HostClock - await GuestClockAsync(name), -3, 3);

        // a real save of 20 s without SYNC_TIME: the guest comes back behind
        ProtocolAssert.Succeeded(await Save(scratch, name));
        await Task.Delay(TimeSpan.FromSeconds(20));
        ProtocolAssert.Succeeded(await Restore(scratch, uuid, syncTime: false));
        Assert.True(await AgentGuest.WaitForAgentAsync(name, TimeSpan.FromMinutes(1)));
        var behind = HostClock - await GuestClockAsync(name);
        Assert.True(behind >= 15, $"the guest clock is {behind} s behind after 20 s saved");

        // "minutes earlier": 7 minutes behind when saved, then restored with SYNC_TIME=yes
        var back = await AgentGuest.AgentAsync(name,
            $$$"""{"execute":"guest-exec","arguments":{"path":"date","arg":["-s","@{{{HostClock - 420}}}"]}}""");
        Assert.NotNull(back);
        await Task.Delay(1000);
        Assert.True(HostClock - await GuestClockAsync(name) >= 400);
        ProtocolAssert.Succeeded(await Save(scratch, name));
        var restore = await Restore(scratch, uuid, syncTime: true);
        ProtocolAssert.Succeeded(restore);

        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        long offset;
        do
        {
            await Task.Delay(1000);
            offset = HostClock - await GuestClockAsync(name);
        }
        while (Math.Abs(offset) > 2 && DateTime.UtcNow < deadline);
        Assert.True(Math.Abs(offset) <= 2, $"the guest clock is still {offset} s off a minute after the restore\n{restore}");
    }
}
