using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace OneKvm.Remotes.Logging;

/// <summary>
/// An action's logger: each entry is formatted by the console formatter and written to
/// stderr on the caller's thread, as one write. Not ConsoleLoggerProvider: its queue
/// thread, started with the first line and joined at exit, cost 1 ms per action on a quiet
/// host and several under load (measured, README "Measured"); an action writes a few
/// lines and exits, so it has nothing to gain from a background queue. Written at once,
/// a line can neither be lost at exit nor land after the action's final error sentence.
/// </summary>
internal sealed class OneLogger(string category, LogLevel minimum, ConsoleFormatter lineFormatter, TextWriter writer) : ILogger
{
    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        var entry = new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter);
        using var text = new StringWriter();
        lineFormatter.Write(in entry, null, text);
        lock (writer)
        {
            writer.Write(text.ToString());
            writer.Flush();
        }
    }
}
