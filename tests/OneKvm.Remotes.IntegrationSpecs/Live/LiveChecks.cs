using System.Text.RegularExpressions;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Live;

/// <summary>What the live-action specs look at: the domain XML (parsed), the guest console, test images and names.</summary>
internal static class LiveChecks
{
    public static readonly TimeSpan GuestTimeout = TimeSpan.FromSeconds(90);

    private static int _counter;

    public static async Task<XElement> DomainAsync(string domain) => XElement.Parse(await TestVirsh.DumpXmlAsync(domain));

    public static async Task<XElement?> DiskAsync(string domain, string target) =>
        (await DomainAsync(domain)).Element("devices")?.Elements("disk")
            .FirstOrDefault(d => (string?)d.Element("target")?.Attribute("dev") == target);

    public static async Task<XElement?> InterfaceAsync(string domain, string mac) =>
        (await DomainAsync(domain)).Element("devices")?.Elements("interface")
            .FirstOrDefault(i => string.Equals((string?)i.Element("mac")?.Attribute("address"), mac, StringComparison.OrdinalIgnoreCase));

    /// <summary>The disks and interfaces of the domain, by target and MAC: what "nothing attached" compares.</summary>
    public static async Task<string[]> DevicesAsync(string domain) =>
        [.. (await DomainAsync(domain)).Element("devices")!.Elements()
            .Where(e => e.Name == "disk" || e.Name == "interface" || e.Name == "hostdev" || e.Name == "memory")
            .Select(e => $"{e.Name}:{(string?)e.Element("target")?.Attribute("dev")}:{(string?)e.Element("mac")?.Attribute("address")}")
            .Order()];

    /// <summary>A MAC no other test of this run uses.</summary>
    public static string Mac()
    {
        var n = Interlocked.Increment(ref _counter);
        return $"02:6f:6b:{TestNames.Pid >> 8 & 0xff:x2}:{TestNames.Pid & 0xff:x2}:{n & 0xff:x2}";
    }

    /// <summary>A tap name (15 characters at most) no other test of this run uses.</summary>
    public static string Tap() => $"okt{TestNames.Pid % 100000}t{Interlocked.Increment(ref _counter)}";

    public static async Task<string> QcowAsync(string directory, string name, string size)
    {
        var path = Path.Combine(directory, name);
        var r = await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", path, size]);
        Assert.True(r.ExitCode == 0, "qemu-img create failed: " + r);
        return path;
    }

    /// <summary>Waits for one more console line matching <paramref name="pattern"/> than there were when <paramref name="before"/> was taken.</summary>
    public static async Task<Match> WaitForNewLineAsync(TinyGuest guest, string pattern, int before)
    {
        Assert.True(await guest.WaitForConsoleAsync(pattern, GuestTimeout, before + 1),
            $"the guest did not print /{pattern}/ within {GuestTimeout.TotalSeconds} s; console:\n{guest.Console}");
        return Regex.Matches(guest.Console, pattern)[before];
    }

    public static int Count(TinyGuest guest, string pattern) => Regex.Matches(guest.Console, pattern).Count;

}

/// <summary>A scratch directory under /tmp for one test, removed with it.</summary>
internal sealed class Scratch(string purpose) : IDisposable
{
    public string Path { get; } = TestPaths.NewScratchDirectory(purpose);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
