using System.Diagnostics;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Guest;

/// <summary>exec and the execution probe when there is no agent to talk to: a clear sentence and a bounded wait.</summary>
[Collection(GuestAgentCollection.Name)]
public sealed class AgentFaultSpecs(AgentGuest guest) : IClassFixture<AgentGuest>
{
    private const string Probe = "im/kvm-probes.d/vm/execution/vm_execution";

    [Fact]
    public async Task A_vm_without_an_agent_channel_fails_at_once_and_the_probe_skips_it()
    {
        var id = TestNames.OneVmId();
        var name = $"one-{id}";
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(name, type: "qemu"));
        var watch = Stopwatch.StartNew();

        var exec = await guest.Driver.RunWithStdinAsync("exec", "", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "localhost", "uname -a");

        var sentence = ProtocolAssert.Failed(exec);
        Assert.StartsWith($"Could not run \"uname\" in VM {id} (domain {name}) through the guest agent: ", sentence, StringComparison.Ordinal);
        Assert.Contains("QEMU guest agent is not configured", sentence, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");

        // a pid file left for that VM (as if its agent went away): reported as a WARN, never blocks, kept for later
        var pidFile = Path.Combine(guest.ExecDirectory, name);
        await File.WriteAllTextAsync(pidFile, "42");
        var probe = await guest.Driver.RunEntryAsync(Probe, null, "kvm", "0", "localhost");
        ProtocolAssert.Succeeded(probe);
        Assert.DoesNotContain($"ID=\"{id}\"", probe.Stdout, StringComparison.Ordinal);
        Assert.Contains(ProtocolAssert.LogLines(probe, "WARN"), l => l.Contains($"No status for the command of VM {id} (guest pid 42)", StringComparison.Ordinal));
        Assert.True(File.Exists(pidFile));
        File.Delete(pidFile);
    }

    [Fact]
    public async Task An_agent_stopped_in_the_guest_costs_one_bounded_wait_and_never_blocks_the_probe_for_other_vms()
    {
        // SIGSTOP to qemu-ga from inside the guest: the channel stays connected, nobody answers
        var stop = await AgentGuest.AgentAsync(guest.OneName,
            """{"execute":"guest-exec","arguments":{"path":"killall","arg":["-STOP","qemu-ga"]}}""");
        Assert.NotNull(stop);
        await Task.Delay(2000);
        try
        {
            var watch = Stopwatch.StartNew();
            var exec = await guest.Driver.RunWithStdinAsync("exec", "", guest.Vm, "localhost", "uname -a");

            var sentence = ProtocolAssert.Failed(exec);
            Assert.StartsWith($"Could not run \"uname\" in VM {guest.Vm} (domain {guest.OneName}) through the guest agent: ", sentence, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"exec took {watch.Elapsed}");

            await File.WriteAllTextAsync(Path.Combine(guest.ExecDirectory, guest.OneName), "4242");
            watch.Restart();
            var probe = await guest.Driver.RunEntryAsync(Probe, null, "kvm", "0", "localhost");
            ProtocolAssert.Succeeded(probe);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"the probe took {watch.Elapsed}");
            Assert.Contains(ProtocolAssert.LogLines(probe, "WARN"), l => l.Contains($"No status for the command of VM {guest.Vm}", StringComparison.Ordinal));

            // vm_monitor with the agent keys on: every call for this VM times out, concurrently, and the report still comes
            var remotes = GuestMonitorSpecs.CopyRemotes();
            try
            {
                await File.WriteAllTextAsync(Path.Combine(remotes, "etc", "im", "kvm-probes.d", "guestagent.conf"), GuestMonitorSpecs.EnabledConf);
                var monitor = await Driver.Staged.WithRemotes(remotes).WithEnvironment("ONEKVM_RUN_DIR", Path.GetDirectoryName(remotes))
                    .RunEntryAsync(Monitoring.ProbeOutput.MonitorProbe, null, "kvm", "0", "localhost");
                ProtocolAssert.Succeeded(monitor);
                Assert.True(monitor.Duration < TimeSpan.FromSeconds(25), $"vm_monitor took {monitor.Duration}");
                var vm = Monitoring.ProbeOutput.Monitor(monitor.Stdout).Single(r => r.Id == guest.VmId);
                Assert.StartsWith("error: ", vm.Values["VM_QEMU_PING"], StringComparison.Ordinal);
                Assert.False(vm.Values.ContainsKey("OS_ID"));
            }
            finally
            {
                Directory.Delete(Path.GetDirectoryName(remotes)!, recursive: true);
            }
        }
        finally
        {
            File.Delete(Path.Combine(guest.ExecDirectory, guest.OneName));
        }
    }

    [Fact]
    public async Task Output_over_what_libvirt_reads_of_one_agent_answer_gets_a_sentence_and_a_bounded_wait_and_the_probe_goes_on()
    {
        // a VM of its own: the answer breaks libvirt's agent connection for that VM
        var id = TestNames.OneVmId();
        var vm = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var name = $"one-{id}";
        var console = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");
        await using var domain = await TestDomain.StartAsync(AgentGuest.WithAgent(DomainXml.TinyGuest(name, console)));
        Assert.True(await AgentGuest.WaitForAgentAsync(name, TinyGuest.BootTimeout), "qemu-ga never answered");
        var pidFile = Path.Combine(guest.ExecDirectory, name);
        try
        {
            // 17 MB: qemu-ga keeps 16 MiB of it, 21 MiB of base64 in its answer; libvirt reads 10 MiB of one answer
            ProtocolAssert.Succeeded(await guest.Driver.RunWithStdinAsync("exec", "", vm, "localhost", "head -c 17000000 /dev/zero"));
            // the probe reports nothing while the command runs (qemu-ga reads its output): asked until it says something
            var watch = Stopwatch.StartNew();
            ProcessResult probe;
            var rounds = 0;
            do
            {
                await Task.Delay(3000);
                watch.Restart();
                probe = await guest.Driver.RunEntryAsync(Probe, null, "kvm", "0", "localhost");
                ProtocolAssert.Succeeded(probe);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"the probe took {watch.Elapsed}");
            }
            while (!ProtocolAssert.LogLines(probe, "WARN").Any() && !probe.Stdout.Contains($"ID=\"{id}\"", StringComparison.Ordinal) && ++rounds < 20);

            Assert.DoesNotContain($"ID=\"{id}\"", probe.Stdout, StringComparison.Ordinal);
            Assert.Contains(ProtocolAssert.LogLines(probe, "WARN"), l => l.Contains($"No status for the command of VM {id}", StringComparison.Ordinal));
            Assert.True(File.Exists(pidFile));

            // from then on that VM's agent calls fail at once, with a sentence
            watch.Restart();
            var again = await guest.Driver.RunWithStdinAsync("exec", "", vm, "localhost", "true");
            var sentence = ProtocolAssert.Failed(again);
            Assert.Contains($"VM {id}", sentence, StringComparison.Ordinal);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"exec took {watch.Elapsed}: {sentence}");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }
}
