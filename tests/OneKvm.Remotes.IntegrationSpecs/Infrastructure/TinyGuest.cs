using System.Text.RegularExpressions;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// The tiny Linux guest, booted once per test class (IClassFixture): a real
/// kernel that answers ACPI, releases hot-unplugged devices and reports what it
/// sees on its serial console (tests/guest/README.md).
/// </summary>
public class TinyGuest : IAsyncLifetime
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromMinutes(3);

    private TestDomain? _domain;

    public string Name { get; } = TestNames.Domain("guest");

    public string ConsoleFile { get; } = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");

    public TestDomain Domain => _domain ?? throw new InvalidOperationException("the guest is not booted");

    /// <summary>Extra kernel command line (e.g. onekvm.busy=1) for subclasses.</summary>
    protected virtual string ExtraCmdline => "";

    protected virtual DomainXml Xml => DomainXml.TinyGuest(Name, ConsoleFile, ExtraCmdline);

    public string Console => File.Exists(ConsoleFile) ? File.ReadAllText(ConsoleFile) : "";

    public int ReadyCount => Regex.Matches(Console, "ONEKVM-GUEST-READY").Count;

    public virtual async Task InitializeAsync()
    {
        Assert.True(File.Exists(Path.Combine(TestPaths.GuestDirectory, "vmlinuz")),
            $"the test guest is not built in {TestPaths.GuestDirectory}: run tests/guest/build-tiny-guest.sh (./build.sh test does)");
        _domain = await TestDomain.StartAsync(Xml);
        await WaitForConsoleAsync("ONEKVM-GUEST-READY", BootTimeout);
    }

    /// <summary>Waits until the console shows <paramref name="pattern"/> (a regex) <paramref name="count"/> times.</summary>
    public async Task<bool> WaitForConsoleAsync(string pattern, TimeSpan timeout, int count = 1)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Regex.Matches(Console, pattern).Count >= count)
            {
                return true;
            }
            await Task.Delay(200);
        }
        return false;
    }

    public virtual async Task DisposeAsync()
    {
        if (_domain is not null)
        {
            await _domain.DisposeAsync();
        }
        File.Delete(ConsoleFile);
    }
}
