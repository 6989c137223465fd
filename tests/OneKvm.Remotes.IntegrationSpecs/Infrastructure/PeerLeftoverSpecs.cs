using System.Diagnostics;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// A migration test run that crashes (killed, out of memory) never disposes its peers: their
/// /etc/hosts lines and ssh_config.d drop-ins stayed behind, named with the dead run's pid.
/// tests/peer/peer.py removes them at the next peer start, and only those whose owner is dead.
/// </summary>
public sealed class PeerLeftoverSpecs
{
    private const string Hosts = "/etc/hosts";
    private const string DropIns = "/etc/ssh/ssh_config.d";

    [Fact]
    public async Task The_next_peer_start_removes_the_hosts_lines_and_ssh_drop_ins_a_crashed_run_left_and_keeps_a_live_runs()
    {
        var dead = DeadPid();
        // as the earlier C# set-up wrote them, and as peer.py writes them
        var earlier = $"onekvm-t-{dead}-peer-b-1";
        var crashed = $"onekvm-t-{dead}-peer-c-2";
        var live = $"onekvm-t-{Environment.ProcessId}-peer-live-{Guid.NewGuid():N}";
        string Tag(string name, int owner) => $"# onekvm peer {name} owner {owner} dir /nonexistent/{name}";
        var lines = new Dictionary<string, string>
        {
            [earlier] = $"127.0.251.1 {earlier} # onekvm integration specs, pid {dead}",
            [crashed] = $"127.0.251.2 {crashed} {Tag(crashed, dead)}",
            [live] = $"127.0.251.3 {live} {Tag(live, Environment.ProcessId)}",
        };
        // one write each: appended whole, beside other runs' lines
        await File.AppendAllTextAsync(Hosts, string.Join('\n', lines.Values) + "\n");
        await File.WriteAllTextAsync(DropIn(earlier), $"Host {earlier}\n    Port 22\n");
        await File.WriteAllTextAsync(DropIn(crashed), $"{Tag(crashed, dead)}\nHost {crashed}\n    Port 22\n");
        await File.WriteAllTextAsync(DropIn(live), $"{Tag(live, Environment.ProcessId)}\nHost {live}\n    Port 22\n");
        try
        {
            await using (await PeerHypervisor.StartAsync("leftovers"))
            {
            }

            var hosts = await File.ReadAllLinesAsync(Hosts);
            Assert.DoesNotContain(lines[earlier], hosts);
            Assert.DoesNotContain(lines[crashed], hosts);
            Assert.False(File.Exists(DropIn(earlier)), $"{DropIn(earlier)} is still there");
            Assert.False(File.Exists(DropIn(crashed)), $"{DropIn(crashed)} is still there");
            Assert.Contains(lines[live], hosts);
            Assert.True(File.Exists(DropIn(live)), $"{DropIn(live)} of a live run was removed");
        }
        finally
        {
            var kept = (await File.ReadAllLinesAsync(Hosts)).Where(l => !lines.ContainsValue(l)).ToArray();
            // rewritten in place: /etc/hosts may be a bind mount
            await File.WriteAllLinesAsync(Hosts, kept);
            foreach (var name in lines.Keys)
            {
                File.Delete(DropIn(name));
            }
        }
    }

    private static string DropIn(string name) => Path.Combine(DropIns, name + ".conf");

    /// <summary>The pid of a process that has exited (pids are not reused that soon).</summary>
    private static int DeadPid()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
