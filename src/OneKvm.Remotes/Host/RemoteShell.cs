using System.ComponentModel;
using System.Globalization;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Runs a command on another host through ssh, as upstream does for what libvirt cannot
/// do there. ssh hands the remote shell one line, so the command is given as words and
/// each word is quoted for that shell (upstream pasted names and paths into the line as
/// they came). BatchMode makes ssh fail instead of waiting for a password, and the call
/// is killed after VIRSH_TIMEOUT like a virsh call.
/// </summary>
internal static class RemoteShell
{
    public const string Executable = "ssh";

    /// <summary>ssh's argv: no prompts, a bounded connect, then the host and the quoted command line.</summary>
    public static IReadOnlyList<string> Arguments(string host, IReadOnlyList<string> command, TimeSpan connectTimeout) =>
    [
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=" + Math.Max(1, (int)connectTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        "--", host,
        string.Join(' ', command.Select(ShellQuote.Quote)),
    ];

    public static Command Wrap(DriverContext context, string host, IReadOnlyList<string> command) =>
        Cli.Wrap(Executable)
            .WithArguments(Arguments(host, command, context.Settings.VirshTimeout))
            .WithEnvironmentVariables(env => env.Set("LANG", "C").Set("LC_ALL", "C"))
            .WithValidation(CommandResultValidation.None);

    /// <summary>Runs the command and returns what it did; a timeout or a missing ssh fails with one sentence.</summary>
    public static async Task<BufferedCommandResult> RunAsync(DriverContext context, string host, IReadOnlyList<string> command,
        CancellationToken cancellationToken)
    {
        var timeout = context.Settings.VirshTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await Wrap(context, host, command).ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, deadline.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OneKvmException(
                $"ssh {host} {command[0]} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed.");
        }
        catch (Win32Exception e)
        {
            throw new OneKvmException($"Cannot run '{Executable}': {e.Message.TrimEnd('.')}.", e);
        }
    }

    /// <summary>ssh's or the remote command's last stderr line, for a one-line reason.</summary>
    public static string Reason(BufferedCommandResult result)
    {
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[^1].TrimEnd('.') : $"exit code {result.ExitCode}";
    }
}
