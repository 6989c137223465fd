namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The two state files of one host in the runtime directory: the CPU samples
/// (shared by the monitor probe and the legacy poll) and the state probe's last
/// states. Losing either only costs a fresh start, so failing to save one is a
/// warning, never a failed probe.
/// </summary>
internal sealed class ProbeStateFiles(ILogger logger, string? directory, string? host)
{
    public static ProbeStateFiles For(Func<string, string?> environment, ILogger logger, string? host)
    {
        var (directory, problem) = RuntimeDirectory.Resolve(environment);
        if (problem is not null)
        {
            logger.NoStateDirectory(problem);
        }
        return new ProbeStateFiles(logger, directory, host);
    }

    public string? StatesPath => PathOf("states");

    public CpuSampleStore LoadSamples(ProcFs proc) => CpuSampleStore.Parse(Read("cpu"), proc.BootId());

    public void SaveSamples(CpuSampleStore store) => Save(PathOf("cpu"), store.Render());

    public IoSampleStore LoadIoSamples(ProcFs proc) => IoSampleStore.Parse(Read("io"), proc.BootId());

    public void SaveIoSamples(IoSampleStore store) => Save(PathOf("io"), store.Render());

    public VmStateStore LoadStates() => VmStateStore.Parse(Read("states"));

    public void SaveStates(VmStateStore store) => Save(StatesPath, store.Render());

    private string? PathOf(string kind) =>
        directory is null ? null : Path.Combine(directory, RuntimeDirectory.FileName(kind, host));

    private string? Read(string kind) => PathOf(kind) is { } path ? StateFile.Read(path) : null;

    private void Save(string? path, string content)
    {
        if (path is null)
        {
            return;
        }
        try
        {
            StateFile.Replace(path, content);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.StateNotSaved(path, e.Message);
        }
    }
}
