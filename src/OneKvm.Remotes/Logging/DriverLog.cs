using Microsoft.Extensions.Logging;

namespace OneKvm.Remotes.Logging;

/// <summary>
/// The action's log, on stderr, in one_vmm_exec's format (<see cref="OneLogger"/>).
/// The logger is built when the first line is written; code that may log later holds a
/// way to get the logger, not the logger: not a deferring ILogger either, as each
/// ILogger.Log&lt;TState&gt; hop is a generic virtual call that Native AOT resolves at run time.
/// </summary>
internal sealed class DriverLog(string category, TextWriter writer, LogLevel minimum = LogLevel.Debug)
{
    private ILogger? _logger;

    public string Category => category;

    public ILogger Logger => _logger ??= new OneLogger(category, minimum, new OneLogFormatter(), writer);
}
