namespace OneKvm.Remotes.Driver;

/// <summary>
/// Everything one action call works with: its entry, its log, its settings (kvmrc
/// is read on first use), a virsh runner configured from them, and its streams.
/// </summary>
internal sealed class DriverContext : IVirshHost
{
    private readonly DriverHost _host;
    private readonly Lazy<KvmSettings> _settings;
    private readonly Lazy<VirshRunner> _virsh;
    private string? _stdin;

    public DriverContext(ActionEntry entry, RemotesLocation location, DriverHost host)
    {
        Location = location;
        _host = host;
        Logger = new OneLogger(entry.Name, LogLevel.Debug, new OneLogFormatter(), host.Stderr);
        _settings = new Lazy<KvmSettings>(LoadSettings);
        _virsh = new Lazy<VirshRunner>(CreateVirsh);
        Programs = ProgramRunner.Default.WithTime(host.Time).WithObserver(OnProgramEvent);
    }

    public RemotesLocation Location { get; }

    /// <summary>The action's log on stderr, in one_vmm_exec's format (<see cref="OneLogger"/>).</summary>
    public ILogger Logger { get; }

    public KvmSettings Settings => _settings.Value;

    public VirshRunner Virsh => _virsh.Value;

    /// <summary>The runner of every program the action starts, virsh included.</summary>
    public ProgramRunner Programs { get; }

    TimeSpan IProgramHost.VirshTimeout => Settings.VirshTimeout;

    string IProgramHost.EntryDirectory => Location.EntryDirectory;

    string IProgramHost.RemotesRoot => Location.Root;

    string IProgramHost.KvmrcPath => Location.KvmrcPath;

    public TextWriter Stdout => _host.Stdout;

    public TimeProvider Time => _host.Time;

    public Func<string, string?> Environment => _host.Environment;

    /// <summary>Waits on <see cref="Time"/>: a test's fake clock decides what a delay is.</summary>
    public Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.Delay(delay, Time, cancellationToken);

    /// <summary>
    /// The whole of stdin, read once (one_vmm_exec writes it and closes the pipe), at most
    /// <see cref="StdinLimit"/> characters. A signal ends the wait at once: the read itself
    /// cannot be cancelled, so it runs on a pool thread that the process leaves behind.
    /// </summary>
    public async Task<string> ReadStdinAsync(CancellationToken cancellationToken) =>
        _stdin ??= await Task.Run(ReadAllStdin, CancellationToken.None).WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The action data of a large VM is a few hundred KB; 64 MiB is far above any.</summary>
    public const int StdinLimit = 64 * 1024 * 1024;

    private string ReadAllStdin()
    {
        var text = new System.Text.StringBuilder();
        var buffer = new char[81920];
        try
        {
            for (int read; (read = _host.Stdin.Read(buffer, 0, buffer.Length)) > 0;)
            {
                if (text.Length + read > StdinLimit)
                {
                    throw new Errors.OneKvmException($"The action data on stdin is longer than {StdinLimit} characters; no such document is expected.");
                }
                text.Append(buffer, 0, read);
            }
        }
        catch (System.Text.DecoderFallbackException e)
        {
            // a name with invalid bytes would otherwise reach libvirt as another name (U+FFFD instead)
            throw new Errors.OneKvmException($"The action data on stdin is not valid UTF-8 (invalid bytes after about {text.Length} characters).", e);
        }
        return text.ToString();
    }

    private KvmSettings LoadSettings()
    {
        var document = KvmrcParser.Load(Location.KvmrcPath, _host.Environment);
        if (!document.Exists)
        {
            Logger.KvmrcMissing(Location.KvmrcPath);
        }
        foreach (var warning in document.Warnings)
        {
            Logger.KvmrcLineIgnored(warning.ToString());
        }
        return new KvmSettings(document, _host.Environment, note => Logger.KvmrcValueTaken(note.ToString()));
    }

    private VirshRunner CreateVirsh() => _host.Virsh.WithRunner(Programs).WithUri(Settings.LibvirtUri)
        .WithTimeout(Settings.VirshTimeout).WithAttempts(Settings.VirshAttempts).WithEnvironment(Settings.ExportedVariables);

    private void OnProgramEvent(ProgramEvent e)
    {
        if (e.TimedOut)
        {
            Logger.VirshTimedOut(e.Result.Command.Render(), e.Delay.TotalSeconds);
            return;
        }
        Logger.VirshRetrying(e.Result.Command.Render(), e.Result.Attempts, e.Result.Reason(), e.Delay.TotalSeconds);
    }
}
