using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace OneKvm.Remotes.Logging;

/// <summary>
/// Writes log lines the way one_vmm_exec reads them into the VM log:
/// <c>LEVEL: &lt;action&gt;: message</c>, one prefix per line, so that no log text
/// can be mistaken for the plain error sentence that ends a failed action.
/// </summary>
internal sealed class OneLogFormatter() : ConsoleFormatter("one")
{
    public static string Tag(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        _ => "ERROR",
    };

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider,
        TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (logEntry.Exception is { } e)
        {
            message = string.IsNullOrEmpty(message) ? e.Message : $"{message}: {e.Message}";
        }
        // not in this method: it is compiled once per message's state type
        WriteLines(Tag(logEntry.LogLevel), logEntry.Category, message, textWriter);
    }

    private static void WriteLines(string tag, string category, string message, TextWriter writer)
    {
        foreach (var line in message.Split('\n'))
        {
            var text = line.TrimEnd('\r');
            if (text.Length == 0)
            {
                continue;
            }
            writer.Write($"{tag}: {category}: {Printable(text)}\n");
        }
    }

    /// <summary>Control characters from virsh or a VM name would corrupt the line-based protocol.</summary>
    public static string Printable(string text) =>
        text.Any(char.IsControl)
            ? string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c))
            : text;
}
