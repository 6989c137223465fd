using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace OneKvm.Remotes.Logging;

/// <summary>
/// The action's log, on stderr through Microsoft.Extensions.Logging.Console. The
/// logging stack is only built when the first line is written: an action that
/// succeeds quietly does not pay for it (about 1 ms: the console logger starts its own
/// thread). So code that may log later holds a way to get the logger, not the logger;
/// not a deferring ILogger either: each ILogger.Log&lt;TState&gt; hop is a generic virtual
/// call that Native AOT resolves at run time, which cost more than it saved. Dispose
/// flushes the console logger's background queue, so no line is lost or lands after the
/// final error sentence.
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
    }

    public string Category => _category;

    public ILogger Logger => _logger ??= Create();

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
