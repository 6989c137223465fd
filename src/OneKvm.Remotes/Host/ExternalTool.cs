using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Host;

/// <summary>
/// A program other than virsh that an action waits for (ssh, OpenNebula's root helpers,
/// qemu-img, rbd), found in PATH only (<see cref="ProgramPath"/>): LANG=C, output buffered,
/// bounded like a virsh call by VIRSH_TIMEOUT unless it moves a whole image (<see cref="NoDeadline"/>). A timeout or a program that
/// cannot start is a OneKvmException clause naming the call; a non-zero exit is the
/// caller's to judge, with <see cref="Reason"/> as its words.
/// </summary>
internal static class ExternalTool
{
    /// <summary>For a call that copies a whole checkpoint or image: its time grows with the data, not with a hang.</summary>
    public static readonly TimeSpan NoDeadline = Timeout.InfiniteTimeSpan;

    public static Command Prepare(string program, IReadOnlyList<string> arguments) =>
        Cli.Wrap(program)
            .WithArguments(arguments)
            .WithEnvironmentVariables(env => env.Set("LANG", "C").Set("LC_ALL", "C"))
            .WithValidation(CommandResultValidation.None);

    /// <param name="label">how the failure names the call, e.g. "ssh node2 sudo" or "vgpu CREATE"</param>
    public static async Task<BufferedCommandResult> RunAsync(Command command, string label, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await command.WithTargetFile(ProgramPath.Resolve(command.TargetFilePath))
                .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OneKvmException($"{label} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed");
        }
        catch (Win32Exception e)
        {
            throw new OneKvmException($"cannot run '{command.TargetFilePath}': {e.Message.TrimEnd('.')}", e);
        }
    }

    /// <summary>Starts a program the action does not wait for; one that cannot start is reported, never thrown.</summary>
    public static void StartUnwaited(Command command, Action<string> cannotStart)
    {
        try
        {
            // not awaited on purpose: the action may exit while the program works
            _ = command.WithTargetFile(ProgramPath.Resolve(command.TargetFilePath)).ExecuteAsync(CancellationToken.None);
        }
        catch (Win32Exception e)
        {
            cannotStart(e.Message);
        }
    }

    /// <summary>The last stderr line, for a one-line reason; the exit code when stderr is empty.</summary>
    public static string Reason(BufferedCommandResult result)
    {
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 0 ? lines[^1].TrimEnd('.') : $"exit code {result.ExitCode}";
    }
}
