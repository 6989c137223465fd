using System.ComponentModel;
using System.Text;
using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Host;

/// <summary>
/// One of OpenNebula's root helpers at the top of the remotes tree (<c>vgpu</c>,
/// <c>vtpm_setup</c>), which oneadmin may run through sudo when the node is set up for
/// it (OpenNebula's sudoers). Upstream asked <c>sudo -l | grep -q vgpu</c>, which any
/// rule mentioning the word satisfies; here sudo is asked about this exact path. As root
/// the helper runs directly. Each run is bounded by VIRSH_TIMEOUT.
/// </summary>
internal sealed record RootHelper(string Name, string Path)
{
    public const string Vgpu = "vgpu";
    public const string Vtpm = "vtpm_setup";

    public static RootHelper For(DriverContext context, string name) =>
        new(name, System.IO.Path.Combine(context.Location.Root, name));

    /// <summary>The argv that runs it: directly as root, otherwise through sudo without a prompt.</summary>
    public static (string Program, string[] Arguments) Invocation(string path, IReadOnlyList<string> arguments, bool root) =>
        root ? (path, [.. arguments]) : ("sudo", ["-n", path, .. arguments]);

    /// <summary>The helper exists here and this user may run it (as upstream: otherwise its step is skipped).</summary>
    public async Task<bool> IsUsableAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return false;
        }
        if (IsRoot)
        {
            return true;
        }
        try
        {
            var check = await Cli.Wrap("sudo").WithArguments(["-n", "-l", Path])
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
            return check.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false; // no sudo on this host
        }
    }

    /// <summary>Runs it; a non-zero exit, a timeout or a helper that cannot start is a OneKvmException naming it.</summary>
    public async Task RunAsync(DriverContext context, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        byte[]? standardInput = null)
    {
        var (program, argv) = Invocation(Path, arguments, IsRoot);
        var timeout = context.Settings.VirshTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        BufferedCommandResult result;
        try
        {
            var command = Cli.Wrap(program).WithArguments(argv).WithValidation(CommandResultValidation.None);
            if (standardInput is not null)
            {
                command = command.WithStandardInputPipe(PipeSource.FromBytes(standardInput));
            }
            result = await command.ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OneKvmException($"{Name} {arguments[0]} did not finish within {timeout.TotalSeconds:0.#} s (VIRSH_TIMEOUT) and was killed");
        }
        catch (Win32Exception e)
        {
            throw new OneKvmException($"{Name} could not be started: {e.Message.TrimEnd('.')}", e);
        }
        if (result.ExitCode != 0)
        {
            var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var reason = lines.Length > 0 ? lines[^1].TrimEnd('.') : $"exit code {result.ExitCode}";
            throw new OneKvmException($"{Name} {arguments[0]} failed: {reason}");
        }
    }

    private static bool IsRoot => Environment.UserName == "root";
}
