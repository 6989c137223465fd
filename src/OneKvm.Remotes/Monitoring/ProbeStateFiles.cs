namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The two state files of one host in the runtime directory: the CPU samples
/// (shared by the monitor probe and the legacy poll) and the state probe's last
/// states. Losing either only costs a fresh start, so failing to save one is a
/// warning, never a failed probe.
/// </summary>
internal sealed class ProbeStateFiles
{
    private readonly ILogger _logger;
    private readonly string? _directory;
    private readonly string? _host;

    private ProbeStateFiles(ILogger logger, string? directory, string? host)
    {
        _logger = logger;
        _directory = directory;
        _host = host;
    }

    public static ProbeStateFiles For(Func<string, string?> environment, ILogger logger, string? host)
    {
        var (directory, problem) = RuntimeDirectory.Resolve(environment);
        if (problem is not null)
        {
            logger.NoStateDirectory(problem);
        }
        return new ProbeStateFiles(logger, directory, host);
    }

    public string? SamplesPath => PathOf("cpu");

    public string? StatesPath => PathOf("states");

    public CpuSampleStore LoadSamples(ProcFs proc) =>
        CpuSampleStore.Parse(SamplesPath is { } path ? StateFile.Read(path) : null, proc.BootId());

    public void SaveSamples(CpuSampleStore store) => Save(SamplesPath, store.Render());

    public string? IoSamplesPath => PathOf("io");

    public IoSampleStore LoadIoSamples(ProcFs proc) =>
        IoSampleStore.Parse(IoSamplesPath is { } path ? StateFile.Read(path) : null, proc.BootId());

    public void SaveIoSamples(IoSampleStore store) => Save(IoSamplesPath, store.Render());

    public VmStateStore LoadStates() => VmStateStore.Parse(StatesPath is { } path ? StateFile.Read(path) : null);

    public void SaveStates(VmStateStore store) => Save(StatesPath, store.Render());

    private string? PathOf(string kind) =>
        _directory is null ? null : Path.Combine(_directory, RuntimeDirectory.FileName(kind, _host));

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
            _logger.StateNotSaved(path, e.Message);
        }
    }
}
