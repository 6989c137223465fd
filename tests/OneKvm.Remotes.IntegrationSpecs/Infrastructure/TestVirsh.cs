using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>The tests' own virsh calls (setup and checks), independent of the code under test.</summary>
public static class TestVirsh
{
    public const string Uri = "qemu:///system";

    public static Task<ProcessResult> RunAsync(params string[] args) =>
        ProcessRun.RunAsync("virsh", ["--connect", Uri, .. args], environment: new Dictionary<string, string?> { ["LANG"] = "C" },
            timeout: TimeSpan.FromMinutes(3));

    public static async Task<string> CheckedAsync(params string[] args)
    {
        var r = await RunAsync(args);
        Assert.True(r.ExitCode == 0, $"virsh {string.Join(' ', args)} failed: {r}");
        return r.Stdout;
    }

    /// <summary>"running", "shut off", ... or null when there is no such domain.</summary>
    public static async Task<string?> StateAsync(string domain)
    {
        var r = await RunAsync("domstate", "--domain", domain);
        return r.ExitCode == 0 ? r.Stdout.Trim() : null;
    }

    public static async Task<bool> ExistsAsync(string domain) => await StateAsync(domain) is not null;

    public static async Task<string> DumpXmlAsync(string domain, bool inactive = false) =>
        await CheckedAsync(inactive ? ["dumpxml", "--inactive", "--domain", domain] : ["dumpxml", "--domain", domain]);

    /// <summary>Waits until the domain's state satisfies <paramref name="condition"/>; false on timeout.</summary>
    public static async Task<bool> WaitForStateAsync(string domain, Func<string?, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition(await StateAsync(domain)))
            {
                return true;
            }
            await Task.Delay(250);
        }
        return condition(await StateAsync(domain));
    }
}
