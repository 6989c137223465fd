using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// The tiny guest with Debian's qemu-ga (initrd-agent.img, tests/guest/README.md) on a
/// virtio-serial channel org.qemu.guest_agent.0, named one-&lt;id&gt; like an OpenNebula VM.
/// Booted once per test class; ready once the agent answers guest-ping.
/// </summary>
public class AgentGuest : TinyGuest
{
    public int VmId { get; } = TestNames.OneVmId();

    public string Vm => VmId.ToString(CultureInfo.InvariantCulture);

    public string OneName => "one-" + Vm;

    /// <summary>Where exec keeps this class's pid files (ONEKVM_EXEC_DIR), instead of /var/run/one.</summary>
    public string ExecDirectory { get; } = TestPaths.NewScratchDirectory("exec");

    protected override DomainXml Xml => WithAgent(base.Xml.WithName(OneName));

    public static DomainXml WithAgent(DomainXml xml) => xml
        .Transform(d => d.Element("os")!.Element("initrd")!.Value = Path.Combine(TestPaths.GuestDirectory, "initrd-agent.img"))
        .WithDevice(AgentChannel());

    public static XElement AgentChannel() =>
        new("channel", new XAttribute("type", "unix"),
            new XElement("source", new XAttribute("mode", "bind")),
            new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", "org.qemu.guest_agent.0")));

    public Driver Driver => Driver.Staged.WithEnvironment("ONEKVM_EXEC_DIR", ExecDirectory);

    public override async Task InitializeAsync()
    {
        Assert.True(File.Exists(Path.Combine(TestPaths.GuestDirectory, "initrd-agent.img")),
            $"the agent variant of the test guest is not built in {TestPaths.GuestDirectory}: run tests/guest/build-tiny-guest.sh");
        await base.InitializeAsync();
        Assert.True(await WaitForAgentAsync(OneName, BootTimeout), $"qemu-ga in {OneName} never answered guest-ping; console:\n{Console}");
    }

    /// <summary>Sends a command to the agent as a test (not through onekvm); null when it fails.</summary>
    public static async Task<JsonElement?> AgentAsync(string domain, string json)
    {
        var result = await TestVirsh.RunAsync("qemu-agent-command", domain, json, "--timeout", "10");
        if (result.ExitCode != 0)
        {
            return null;
        }
        using var document = JsonDocument.Parse(result.Stdout);
        return document.RootElement.GetProperty("return").Clone();
    }

    public static async Task<bool> WaitForAgentAsync(string domain, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await AgentAsync(domain, "{\"execute\":\"guest-ping\"}") is not null)
            {
                return true;
            }
            await Task.Delay(1000);
        }
        return false;
    }

    /// <summary>Runs a program in the guest through the agent and returns its stdout (test helper).</summary>
    public async Task<string> RunInGuestAsync(string path, params string[] args)
    {
        var command = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["execute"] = "guest-exec",
            ["arguments"] = new Dictionary<string, object> { ["path"] = path, ["arg"] = args, ["capture-output"] = true },
        });
        var started = await AgentAsync(OneName, command) ?? throw new InvalidOperationException($"guest-exec {path} failed");
        var pid = started.GetProperty("pid").GetInt64();
        for (var i = 0; i < 100; i++)
        {
            var status = await AgentAsync(OneName, $"{{\"execute\":\"guest-exec-status\",\"arguments\":{{\"pid\":{pid}}}}}");
            if (status is { } s && s.GetProperty("exited").GetBoolean())
            {
                return s.TryGetProperty("out-data", out var o) ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(o.GetString()!)) : "";
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{path} did not end in the guest");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Directory.Delete(ExecDirectory, recursive: true);
    }
}
