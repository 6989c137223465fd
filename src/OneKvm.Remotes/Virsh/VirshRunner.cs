using System.Collections.Immutable;

namespace OneKvm.Remotes.Virsh;

/// <summary>
/// The virsh preset of <see cref="ProgramRunner"/>: fills in what a virsh call leaves unset from
/// kvmrc (the program, LIBVIRT_URI, the exported variables with LANG=C, VIRSH_TIMEOUT, and
/// VIRSH_RETRIES attempts in total, 1 s apart, for the failures known to be transient) and
/// runs it. Immutable; configure with <c>With*</c>.
/// </summary>
internal sealed record VirshRunner
{
    public static readonly VirshRunner Default = new();

    public ProgramRunner Runner { get; private init; } = ProgramRunner.Default;

    public string Executable { get; private init; } = "virsh";

    public string Uri { get; private init; } = "qemu:///system";

    public TimeSpan Timeout { get; private init; } = TimeSpan.FromSeconds(60);

    /// <summary>The policy of a call that declares none, and what one that declares part of a policy leaves to the preset.</summary>
    public RetryPolicy Retry { get; private init; } =
        RetryPolicy.Unset.WithAttempts(3).WithDelay(TimeSpan.FromSeconds(1)).WithRetryOn(VirshErrors.AlwaysTransient);

    /// <summary>Total attempts (VIRSH_RETRIES).</summary>
    public int Attempts => Retry.Attempts ?? 1;

    public ImmutableDictionary<string, string> Environment { get; private init; } = ImmutableDictionary<string, string>.Empty;

    public VirshRunner WithRunner(ProgramRunner runner) => this with { Runner = runner };

    public VirshRunner WithExecutable(string executable) => this with { Executable = executable };

    public VirshRunner WithUri(string uri) => this with { Uri = uri };

    public VirshRunner WithTimeout(TimeSpan timeout) => this with { Timeout = timeout };

    public VirshRunner WithAttempts(int attempts) => this with { Retry = Retry.WithAttempts(attempts) };

    public VirshRunner WithRetryDelay(TimeSpan delay) => this with { Retry = Retry.WithDelay(delay) };

    public VirshRunner WithEnvironment(IEnumerable<KeyValuePair<string, string>> variables) =>
        this with { Environment = Environment.SetItems(variables) };

    /// <summary>The call as it runs: <c>virsh --connect URI [--readonly] verb args</c>, with the preset's environment, deadline and retries.</summary>
    public ProgramCommand Fill(ProgramCommand command) =>
        command.WithProgram(Executable)
            .WithLeadingArguments("--connect", Uri)
            // stable, parseable messages whatever the ssh session's locale
            .WithEnvironment(Environment.SetItems([new("LANG", "C"), new("LC_ALL", "C")]))
            .WithDeadline(command.Deadline ?? Timeout)
            .WithRetry((command.Retry ?? RetryPolicy.Unset).Over(Retry));

    /// <summary>Runs the command; a non-zero exit becomes a <see cref="VirshException"/>.</summary>
    public async Task<ProgramResult> RunAsync(ProgramCommand command, CancellationToken cancellationToken = default)
    {
        var result = await TryRunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : throw new VirshException(result);
    }

    /// <summary>Runs the command and returns whatever it did; only a timeout or a missing virsh throws.</summary>
    public async Task<ProgramResult> TryRunAsync(ProgramCommand command, CancellationToken cancellationToken = default)
    {
        try
        {
            return await Runner.RunAsync(Fill(command), cancellationToken).ConfigureAwait(false);
        }
        catch (ProgramTimeoutException e)
        {
            throw new VirshTimeoutException(e.Result, e.Deadline);
        }
    }
}
