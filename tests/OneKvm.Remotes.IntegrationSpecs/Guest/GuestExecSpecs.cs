using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Guest;

/// <summary>
/// exec, exec_cancel and the execution probe against a real qemu-ga in the tiny guest
/// (initrd-agent.img): called as one_vmm_exec calls them, results read as oned reads them.
/// </summary>
[Collection(GuestAgentCollection.Name)]
public sealed partial class GuestExecSpecs(AgentGuest guest) : IClassFixture<AgentGuest>
{
    private const string Probe = "im/kvm-probes.d/vm/execution/vm_execution";

    [GeneratedRegex("""^VM = \[ ID="(\d+)", PID="(\d+)", STATUS="DONE", RETURN_CODE="(-?\d*)", STDOUT="([A-Za-z0-9+/=]*)", STDERR="([A-Za-z0-9+/=]*)" \]$""")]
    private static partial Regex ResultLine();

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Decode(string b64) => Encoding.UTF8.GetString(Convert.FromBase64String(b64));

    private static string ActionData(int vmId, string command, string? stdin) =>
        $"<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><VM><ID>{vmId}</ID><TEMPLATE><QEMU_GA_EXEC>" +
        $"<COMMAND><![CDATA[{command}]]></COMMAND><STDIN><![CDATA[{stdin ?? ""}]]></STDIN></QEMU_GA_EXEC></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>";

    private Task<ProcessResult> Exec(string command, string? stdinArgument, string? stdinInData = null)
    {
        string[] args = stdinArgument is null ? [guest.Vm, "localhost", command] : [guest.Vm, "localhost", command, stdinArgument];
        return guest.Driver.RunWithStdinAsync("exec", ActionData(guest.VmId, command, stdinInData ?? stdinArgument), args);
    }

    private Task<ProcessResult> RunProbe() => guest.Driver.RunEntryAsync(Probe, null, "kvm", "0", "localhost");

    private string PidFile => Path.Combine(guest.ExecDirectory, guest.OneName);

    /// <summary>Runs the probe until it reports this VM (the command ends in the guest meanwhile).</summary>
    private async Task<(Match Line, ProcessResult Probe)> ResultAsync()
    {
        for (var i = 0; i < 60; i++)
        {
            var probe = await RunProbe();
            ProtocolAssert.Succeeded(probe);
            var line = probe.Stdout.Split('\n').Select(l => ResultLine().Match(l)).FirstOrDefault(m => m.Success && m.Groups[1].Value == guest.Vm);
            if (line is not null)
            {
                return (line, probe);
            }
            await Task.Delay(500);
        }
        throw new TimeoutException("the execution probe never reported the command");
    }

    [Fact]
    public async Task Quotes_semicolons_substitutions_and_newlines_reach_the_program_as_literal_arguments_and_the_result_is_reported_once()
    {
        var command = "printf '%s|' 'a b' ';' '$(id)' \"x\ny\" back\\ slash '*'";

        var exec = await Exec(command, stdinArgument: null);

        ProtocolAssert.Succeeded(exec);
        var pid = File.ReadAllText(PidFile).Trim();
        var (line, _) = await ResultAsync();
        Assert.Equal(pid, line.Groups[2].Value);
        Assert.Equal("0", line.Groups[3].Value);
        Assert.Equal("a b|;|$(id)|x\ny|back slash|*|", Decode(line.Groups[4].Value));
        Assert.False(File.Exists(PidFile));
        // reported once: the next probe has nothing for this VM
        var again = await RunProbe();
        Assert.DoesNotContain($"ID=\"{guest.Vm}\"", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_standard_input_reaches_the_program_and_its_exit_code_and_stderr_come_back()
    {
        var exec = await Exec("sh -c 'wc -c; echo oops >&2; exit 3'", stdinArgument: B64("hello\nworld\n"));

        ProtocolAssert.Succeeded(exec);
        var (line, _) = await ResultAsync();
        Assert.Equal("3", line.Groups[3].Value);
        Assert.Equal("12", Decode(line.Groups[4].Value).Trim());
        Assert.Equal("oops\n", Decode(line.Groups[5].Value));
    }

    [Fact]
    public async Task The_standard_input_is_read_from_the_action_data_when_the_argument_is_missing()
    {
        var input = new string('x', 60_000);

        var exec = await Exec("wc -c", stdinArgument: null, stdinInData: B64(input));

        ProtocolAssert.Succeeded(exec);
        var (line, _) = await ResultAsync();
        Assert.Equal("60000", Decode(line.Groups[4].Value).Trim());
    }

    [Fact]
    public async Task A_running_command_blocks_a_second_one_and_exec_cancel_ends_it()
    {
        var exec = await Exec("sleep 600", stdinArgument: null);
        ProtocolAssert.Succeeded(exec);
        var pid = long.Parse(File.ReadAllText(PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

        var second = await Exec("true", stdinArgument: null);

        Assert.Contains("is still running its previous command", ProtocolAssert.Failed(second), StringComparison.Ordinal);
        Assert.Equal(pid.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(PidFile).Trim());

        var cancel = await guest.Driver.RunWithStdinAsync("exec_cancel", "", guest.Vm, "localhost");

        ProtocolAssert.Succeeded(cancel);
        Assert.False(File.Exists(PidFile));
        var status = await AgentGuest.AgentAsync(guest.OneName, $"{{\"execute\":\"guest-exec-status\",\"arguments\":{{\"pid\":{pid}}}}}");
        for (var i = 0; i < 20 && status is { } s && !s.GetProperty("exited").GetBoolean(); i++)
        {
            await Task.Delay(250);
            status = await AgentGuest.AgentAsync(guest.OneName, $"{{\"execute\":\"guest-exec-status\",\"arguments\":{{\"pid\":{pid}}}}}");
        }
        Assert.True(status!.Value.GetProperty("exited").GetBoolean());
        Assert.Equal(9, status.Value.GetProperty("signal").GetInt32());
    }

    [Fact]
    public async Task Cancelling_when_nothing_runs_is_success()
    {
        var cancel = await guest.Driver.RunWithStdinAsync("exec_cancel", "", guest.Vm, "localhost");

        ProtocolAssert.Succeeded(cancel);
        Assert.Contains(ProtocolAssert.LogLines(cancel, "INFO"), l => l.Contains("nothing to cancel", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_program_the_guest_does_not_have_fails_with_the_agents_reason_and_leaves_no_pid_file()
    {
        var exec = await Exec("/no/such/program --flag", stdinArgument: null);

        var sentence = ProtocolAssert.Failed(exec);
        Assert.StartsWith($"Could not run \"/no/such/program\" in VM {guest.Vm} (domain {guest.OneName}) through the guest agent: ", sentence, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", sentence, StringComparison.Ordinal);
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task One_megabyte_of_standard_input_is_refused_at_once_without_bothering_the_agent()
    {
        var watch = Stopwatch.StartNew();

        var exec = await Exec("wc -c", stdinArgument: null, stdinInData: Convert.ToBase64String(new byte[1024 * 1024]));

        Assert.Contains("is 1048576 bytes; the guest agent is given at most 65536", ProtocolAssert.Failed(exec), StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        Assert.False(File.Exists(PidFile));
        Assert.True(await AgentGuest.WaitForAgentAsync(guest.OneName, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("echo 'unclosed", "a single quote at character 6 is never closed")]
    [InlineData("   ", "QEMU_GA_EXEC/COMMAND is empty")]
    public async Task A_command_line_that_cannot_be_split_is_refused_with_its_reason(string command, string reason)
    {
        var exec = await Exec(command, stdinArgument: null);

        Assert.Contains(reason, ProtocolAssert.Failed(exec), StringComparison.Ordinal);
        Assert.False(File.Exists(PidFile));
    }

    [Fact]
    public async Task Standard_input_that_is_not_base64_is_refused()
    {
        var exec = await Exec("wc -c", stdinArgument: "not*base64!");

        Assert.Contains("is not base64", ProtocolAssert.Failed(exec), StringComparison.Ordinal);
    }
}

[CollectionDefinition(Name)]
public sealed class GuestAgentCollection
{
    public const string Name = "guest agent";
}
