using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// onehost sync copies the remotes tree with rsync -L: a symlink arrives as a full
/// copy of its target. The staged tree must still hold the binary once.
/// </summary>
public sealed class FootprintSpecs : IDisposable
{
    private readonly string _host = TestPaths.NewScratchDirectory("synced");

    public void Dispose() => Directory.Delete(_host, recursive: true);

    private async Task<string> SyncAsync()
    {
        // the options of onehost sync: -LRaz --delete (R: relative paths; here the tree's own root)
        var rsync = await ProcessRun.RunAsync("rsync", ["-Laz", "--delete", TestPaths.Remotes + "/", _host + "/"]);
        Assert.True(rsync.ExitCode == 0, rsync.ToString());
        return _host;
    }

    [Fact]
    public async Task A_synced_host_holds_the_binary_once_plus_small_entries()
    {
        var synced = await SyncAsync();

        var binary = new FileInfo(TestPaths.Binary).Length;
        var total = Directory.GetFiles(synced, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Assert.True(total <= binary * 1.2 + 64 * 1024,
            $"the synced tree holds {total} bytes for a {binary}-byte binary (limit {binary * 1.2 + 64 * 1024:0})");
        Assert.Single(Directory.GetFiles(synced, "*", SearchOption.AllDirectories), f => new FileInfo(f).Length > 64 * 1024);
    }

    [Fact]
    public async Task Every_action_still_runs_from_the_synced_copy()
    {
        var synced = await SyncAsync();
        await using var domain = await TestDomain.StartDisklessAsync("synced");
        var driver = Driver.Staged.WithRemotes(synced);

        foreach (var entry in Directory.GetFiles(synced, "*", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("/etc/", StringComparison.Ordinal) && !f.EndsWith("/onekvm", StringComparison.Ordinal)))
        {
            var help = await driver.RunPathAsync(entry, null, "--help");
            Assert.True(help.ExitCode == 0 && help.Stderr.Contains("Usage:", StringComparison.Ordinal), $"{entry}: {help}");
        }
        ProtocolAssert.Succeeded(await driver.RunAsync("reboot", domain.Name));
        ProtocolAssert.Succeeded(await driver.RunAsync("reset", domain.Name));
        ProtocolAssert.Succeeded(await driver.RunAsync("cancel", domain.Name));
        Assert.Null(await domain.StateAsync());
    }
}
