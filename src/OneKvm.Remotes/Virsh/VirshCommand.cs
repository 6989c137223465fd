namespace OneKvm.Remotes.Virsh;

/// <summary>
/// virsh calls as <see cref="ProgramCommand"/>s: the verb and its arguments as an array (never
/// a shell string); <see cref="VirshRunner"/> adds the program, <c>--connect</c>, the
/// environment, VIRSH_TIMEOUT and VIRSH_RETRIES where the call declares none of its own.
/// </summary>
internal static class VirshCommand
{
    public static ProgramCommand Create(string verb, params IEnumerable<string> arguments) =>
        ProgramCommand.Create("virsh", [verb, .. arguments]).WithLabel($"virsh {verb}");

    /// <summary>A read-only connection (once, however often it is asked for).</summary>
    public static ProgramCommand WithReadOnly(this ProgramCommand command) =>
        command.Arguments is ["--readonly", ..] ? command : command.WithLeadingArguments("--readonly");

    /// <summary>Fragments of virsh's stderr that mean "try again", besides the preset's own.</summary>
    public static ProgramCommand WithRetryOn(this ProgramCommand command, params IEnumerable<string> stderrFragments) =>
        command.WithRetry((command.Retry ?? RetryPolicy.Unset).WithRetryOn(stderrFragments));
}
