using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace OneKvm.Remotes.Logging;

/// <summary>
/// The action's log, on stderr through Microsoft.Extensions.Logging.Console. The
/// logging stack is only built when the first line is written: an action that
/// succeeds quietly does not pay for it (about 1 ms: the console logger starts its
/// own thread). <see cref="Logger"/> is deferred, so code may hold it from the start
/// without building anything. Dispose flushes the console logger's background queue,
/// so no line is lost or lands after the final error sentence.
/// </summary>
internal sealed class DriverLog : IDisposable
{
    private readonly string _category;
    private readonly LogLevel _minimum;
    private ConsoleLoggerProvider? _provider;
    private ILoggerFactory? _factory;
    private ILogger? _logger;

    public DriverLog(string category, LogLevel minimum = LogLevel.Debug)
    {
        _category = category;
        _minimum = minimum;
        Logger = new Deferred(this);
    }

    public string Category => _category;

    /// <summary>Builds the logging stack on its first line, not when it is handed around.</summary>
    public ILogger Logger { get; }

    /// <summary>Whether the logging stack has been built (a line was written).</summary>
    public bool IsBuilt => _logger is not null;

    private ILogger Built => _logger ??= Create();

    public bool IsEnabled(LogLevel level) => level >= _minimum;

    private ILogger Create()
    {
        var options = new ConsoleLoggerOptions
        {
            FormatterName = OneLogFormatter.FormatterName,
            // stdout is the action's answer: every log line goes to stderr
            LogToStandardErrorThreshold = LogLevel.Trace,
        };
        _provider = new ConsoleLoggerProvider(new StaticOptionsMonitor<ConsoleLoggerOptions>(options),
            [new OneLogFormatter()]);
        _factory = new LoggerFactory([_provider], new LoggerFilterOptions { MinLevel = _minimum });
        return _factory.CreateLogger(_category);
    }

    private sealed class Deferred(DriverLog log) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => log.Built.BeginScope(state);

        // answered from the level alone: the generated log methods ask before every line
        public bool IsEnabled(LogLevel logLevel) => log.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log.Built.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    public void Dispose()
    {
        // the factory does not own providers handed to its constructor
        _factory?.Dispose();
        _provider?.Dispose();
        _factory = null;
        _provider = null;
        _logger = null;
    }
}
