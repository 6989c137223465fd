namespace OneKvm.Remotes.Virsh;

/// <summary>What a finished virsh call left behind.</summary>
internal sealed record VirshResult(
    VirshCommand Command,
    string RenderedCommand,
    int ExitCode,
    string StandardOutput,
    string StandardError,
    int Attempts,
    TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
}
