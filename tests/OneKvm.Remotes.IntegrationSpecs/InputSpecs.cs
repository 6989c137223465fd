using System.Diagnostics;
using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>
/// What an operator (or a broken host) can feed the staged binary: signals while it waits for input,
/// kvmrc files that are no files, unreadable or deep input. Each ends at once in one sentence.
/// </summary>
public sealed partial class InputSpecs
{
    private static readonly TimeSpan Generous = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_while_the_action_waits_on_its_stdin_ends_it_with_its_sentence(string signal)
    {
        // what `sleep 60 | vmm/kvm/save ...` is: a writer that never writes nor closes
        using var save = RunningAction.Start(Driver.Staged, "save", "one-0", "/nonexistent/checkpoint", "localhost", "0", "localhost");
        await save.WaitUntilReadingStdinAsync(Generous);

        await save.SignalAsync(signal);
        var result = await save.WaitForExitAsync(Generous);

        Assert.Equal("save was interrupted by a signal before it finished.", ProtocolAssert.Failed(result));
    }

    [Fact]
    public async Task A_kvmrc_that_is_a_fifo_fails_the_action_and_onekvm_kvmrc_with_a_sentence_instead_of_hanging()
    {
        var fifo = Path.Combine(TestPaths.NewScratchDirectory("fifo"), "kvmrc");
        Assert.Equal(0, (await ProcessRun.RunAsync("mkfifo", [fifo])).ExitCode);
        var driver = Driver.Staged.WithEnvironment("ONEKVM_KVMRC", fifo) with { Timeout = Generous };

        var action = await driver.RunAsync("reboot", "one-0", "localhost", "0", "localhost");
        var report = await driver.RunAsync("onekvm", "kvmrc");

        Assert.Equal($"Could not read kvmrc {fifo}: it is a FIFO, not a regular file.", ProtocolAssert.Failed(action));
        Assert.Equal(1, report.ExitCode);
        Assert.Equal($"Could not read kvmrc {fifo}: it is a FIFO, not a regular file.", report.Stderr.Trim());
    }

    [Fact]
    public async Task A_kvmrc_linked_to_dev_zero_is_refused_instead_of_read_until_memory_runs_out()
    {
        var link = Path.Combine(TestPaths.NewScratchDirectory("zero"), "kvmrc");
        File.CreateSymbolicLink(link, "/dev/zero");

        var result = await (Driver.Staged.WithEnvironment("ONEKVM_KVMRC", link) with { Timeout = Generous })
            .RunAsync("reboot", "one-0", "localhost", "0", "localhost");

        Assert.Equal($"Could not read kvmrc {link}: it is a character device, not a regular file.", ProtocolAssert.Failed(result));
    }

    [Fact]
    public async Task An_unreadable_kvmrc_is_a_sentence_for_the_action_and_for_onekvm_kvmrc_not_an_exception()
    {
        // root reads everything: the actions run as nobody here, as oneadmin would against root's 0600 kvmrc
        var directory = TestPaths.NewScratchDirectory("unreadable");
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var kvmrc = Path.Combine(directory, "kvmrc");
        await File.WriteAllTextAsync(kvmrc, "SHUTDOWN_TIMEOUT=10\n");
        File.SetUnixFileMode(kvmrc, UnixFileMode.None);
        var environment = new Dictionary<string, string?> { ["ONEKVM_KVMRC"] = kvmrc };
        string[] asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups"];

        var action = await ProcessRun.RunAsync("setpriv", [.. asNobody, TestPaths.Action("reboot"), "one-0", "localhost", "0", "localhost"],
            "", environment, cleanEnvironment: true, timeout: Generous);
        var report = await ProcessRun.RunAsync("setpriv", [.. asNobody, TestPaths.Binary, "kvmrc"],
            "", environment, cleanEnvironment: true, timeout: Generous);

        Assert.Equal($"Could not read kvmrc {kvmrc}: Permission denied.", ProtocolAssert.Failed(action));
        Assert.Equal(1, action.ExitCode);
        Assert.Equal(1, report.ExitCode);
        Assert.Equal($"Could not read kvmrc {kvmrc}: Permission denied.", report.Stderr.Trim());
    }

    [Fact]
    public async Task Onekvm_kvmrc_shows_a_single_quoted_command_substitution_single_quoted()
    {
        var result = await Driver.Staged.WithKvmrc("export PROBE='$(touch /tmp/x)'\n").RunAsync("onekvm", "kvmrc");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("PROBE='$(touch /tmp/x)'  # ", result.Stdout);
    }

    [Fact]
    public async Task A_document_nested_a_million_levels_deep_on_stdin_is_refused_in_a_sentence()
    {
        const int Depth = 1_000_000;
        var deep = "<VMM_DRIVER_ACTION_DATA>" + string.Concat(Enumerable.Repeat("<a>", Depth)) + string.Concat(Enumerable.Repeat("</a>", Depth)) + "</VMM_DRIVER_ACTION_DATA>";

        var result = await (Driver.Staged with { Timeout = Generous }).RunWithStdinAsync("save", deep, "one-0", "/nonexistent/checkpoint", "localhost", "0", "localhost");

        Assert.StartsWith("The action data on stdin nests elements deeper than 256 levels", ProtocolAssert.Failed(result), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("<VMM_DRIVER_ACTION_DATA><VM><ID>1</ID>", "The action data on stdin is not valid XML: Unexpected end of file has occurred.")]
    [InlineData("<VMM_DRIVER_ACTION_DATA><VM></VMM_DRIVER_ACTION_DATA>", "The action data on stdin is not valid XML: The 'VM' start tag on line 1 position 26 does not match the end tag of 'VMM_DRIVER_ACTION_DATA'.")]
    public async Task Xml_errors_read_as_words_not_as_resource_keys(string stdin, string start)
    {
        var result = await Driver.Staged.RunWithStdinAsync("save", stdin, "one-0", "/nonexistent/checkpoint", "localhost", "0", "localhost");

        var sentence = ProtocolAssert.Failed(result);
        Assert.StartsWith(start, sentence, StringComparison.Ordinal);
        Assert.DoesNotMatch(ResourceKey(), sentence);
    }

    [Fact]
    public async Task File_errors_read_as_words_not_as_resource_keys()
    {
        var result = await Driver.Staged.RunWithStdinAsync("save", "", "one-0", "/proc/onekvm-no-such-dir/checkpoint", "localhost", "0", "localhost");

        var sentence = ProtocolAssert.Failed(result);
        Assert.StartsWith("Could not create the checkpoint file /proc/onekvm-no-such-dir/checkpoint: Could not find a part of the path", sentence, StringComparison.Ordinal);
        Assert.DoesNotMatch(ResourceKey(), sentence);
    }

    [Fact]
    public async Task A_domain_name_with_invalid_utf8_is_refused_not_created_under_another_name()
    {
        var name = TestNames.Domain("utf8");
        var deployment = Path.Combine(TestPaths.NewScratchDirectory("utf8"), "deployment.0");
        var xml = DomainXml.Diskless(name).ToString();
        var bytes = System.Text.Encoding.UTF8.GetBytes(xml.Replace($"<name>{name}</name>", $"<name>{name}-\u0001</name>", StringComparison.Ordinal));
        // the \u0001 placeholder becomes a lone 0xFF byte: no UTF-8 sequence starts with it
        bytes[Array.IndexOf(bytes, (byte)1)] = 0xFF;

        var result = await RunWithRawStdinAsync(TestPaths.Action("deploy"), bytes, deployment, "localhost", "0", "localhost");
        // what the old code made of it: the domain under the name with U+FFFD (removed again, whatever the outcome)
        var replaced = await TestVirsh.StateAsync($"{name}-\uFFFD");
        if (replaced is not null)
        {
            await TestVirsh.RunAsync("destroy", $"{name}-\uFFFD");
        }

        Assert.StartsWith("The action data on stdin is not valid UTF-8", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Null(replaced);
        Assert.False(File.Exists(deployment));
    }

    [Fact]
    public async Task A_checkpoint_path_argument_with_invalid_utf8_is_refused_not_saved_under_another_name()
    {
        await using var scratch = new Lifecycle.Scratch("argv-utf8");
        var xml = scratch.Diskless("argv-utf8");
        await scratch.StartAsync(xml);
        // bash appends a lone 0xFF byte (no UTF-8 sequence starts with it) to the checkpoint path argument
        var driver = Driver.Staged.Under("/bin/bash", "-c", "a=(\"$@\"); a[1]=\"${a[1]}$(printf '\\377')\"; exec \"$0\" \"${a[@]}\"");

        var result = await driver.RunWithStdinAsync("save", Lifecycle.LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        // what the old code did: saved the domain into "checkpoint" + U+FFFD, a file oned never asks for
        Assert.Equal([], Directory.GetFiles(scratch.VmDirectory).Select(Path.GetFileName));
        Assert.StartsWith("Argument 2 is not valid UTF-8 (it would read '", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    /// <summary>"Xml_UnexpectedEOF", "IO_FileNotFound_FileName", "UnauthorizedAccess_IODenied_Path": what UseSystemResourceKeys printed.</summary>
    [GeneratedRegex(@"\b(Xml|IO|UnauthorizedAccess|Argument|Arg|InvalidOperation|Format|Overflow|Net|Sockets)_[A-Za-z]")]
    private static partial Regex ResourceKey();

    private static async Task<ProcessResult> RunWithRawStdinAsync(string program, byte[] stdin, params string[] args)
    {
        var psi = ProcessRun.StartInfo(program, args, cleanEnvironment: true);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(Generous);
        await process.WaitForExitAsync(cts.Token);
        return new ProcessResult(process.ExitCode, await stdout, await stderr, clock.Elapsed);
    }
}
