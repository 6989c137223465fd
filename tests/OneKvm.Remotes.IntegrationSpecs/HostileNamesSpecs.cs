using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.IntegrationSpecs.Lifecycle;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// Upstream builds shell strings ("virsh --connect $URI reboot $deploy_id"): a name
/// with a space, quote, ';' or $() breaks the command or runs code. onekvm hands
/// virsh argument arrays, so every name libvirt accepts reaches it as one argument.
/// (libvirt itself refuses '/' in names, so the injected command avoids it.)
/// </summary>
public sealed class HostileNamesSpecs : IDisposable
{
    private const string Marker = "onekvm-pwned";
    private readonly string _workDir = TestPaths.NewScratchDirectory("hostile");

    public static TheoryData<string> Names => new()
    {
        " one 7 it's",
        "a\"b;c & d | e",
        $"$(touch {Marker})`touch {Marker}`",
        "line\nbreak",
        "glob*?[x]~",
        "-dash",
        "back\\slash",
    };

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Reboot_reset_and_cancel_reach_a_domain_whatever_its_name(string hostile)
    {
        var name = TestNames.Domain("h") + hostile;
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(name));
        var driver = Driver.Staged;

        var reboot = await driver.RunAsync("reboot", name, "localhost", "7", "localhost");
        var reset = await driver.RunAsync("reset", name, "localhost", "7", "localhost");
        var cancel = await driver.RunAsync("cancel", name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(reboot);
        ProtocolAssert.Succeeded(reset);
        ProtocolAssert.Succeeded(cancel);
        Assert.Null(await TestVirsh.StateAsync(name));
        Assert.False(File.Exists(Marker) || File.Exists(Path.Combine(_workDir, Marker)) || File.Exists("/" + Marker));
    }

    /// <summary>
    /// A name that starts with "--" reaches virsh as the value of --domain, never as an option:
    /// given where the domain goes without it, "reboot --help" printed virsh's help and answered
    /// success, and "cancel --help" looked 60 times for a domain it never destroyed. onekvm's
    /// own command line takes every argument of an action as a value (only a lone --help asks
    /// for help), as upstream's scripts take $1 as the domain.
    /// </summary>
    [Theory]
    [InlineData("--help")]
    [InlineData("--dash")]
    public async Task Reboot_reset_and_cancel_reach_a_domain_whose_name_starts_like_an_option(string start)
    {
        // "--help" itself is the name virsh would obey; the other carries this run's id
        var name = start == "--help" ? start : start + "-" + TestNames.Domain("opt");
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(name));
        var driver = Driver.Staged;

        var reboot = await driver.RunAsync("reboot", name, "localhost", "7", "localhost");
        var reset = await driver.RunAsync("reset", name, "localhost", "7", "localhost");
        var running = await TestVirsh.StateAsync(name);
        var cancel = await (driver with { Timeout = TimeSpan.FromSeconds(30) }).RunAsync("cancel", name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(reboot);
        ProtocolAssert.Succeeded(reset);
        Assert.Equal("running", running);
        ProtocolAssert.Succeeded(cancel);
        Assert.Null(await TestVirsh.StateAsync(name));
    }

    /// <summary>
    /// Over ssh an action runs in oneadmin's home. .NET's Process alone would look a bare
    /// "virsh" up in the current directory and beside the binary before PATH; the scripts'
    /// shell never did.
    /// </summary>
    [Fact]
    public async Task A_program_named_virsh_in_the_working_directory_or_beside_the_binary_is_never_run()
    {
        var name = TestNames.Domain("cwd");
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(name));
        using var tree = new RemotesCopy();
        var marker = Path.Combine(_workDir, Marker);
        var impostor = $"#!/bin/sh\ntouch '{marker}'\necho running\n";
        ExecutableFile.Write(Path.Combine(_workDir, "virsh"), impostor);
        ExecutableFile.Write(Path.Combine(tree.Root, "vmm", "kvm", "virsh"), impostor);

        var cancel = await tree.Driver.InDirectory(_workDir).RunAsync("cancel", name, "localhost", "7", "localhost");

        ProtocolAssert.Succeeded(cancel);
        Assert.False(File.Exists(marker), "a virsh outside PATH ran");
        Assert.Null(await TestVirsh.StateAsync(name));
    }

    [Fact]
    public async Task The_error_about_a_hostile_missing_name_stays_one_line()
    {
        var name = TestNames.Domain("h") + "evil\nERROR: forged log line";

        var result = await Driver.Staged.RunAsync("reboot", name);

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith("Could not reboot domain", error);
        Assert.DoesNotContain(result.StderrLines, l => l.StartsWith("ERROR: forged", StringComparison.Ordinal));
    }
}
