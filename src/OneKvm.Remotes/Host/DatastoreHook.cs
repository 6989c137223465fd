namespace OneKvm.Remotes.Host;

/// <summary>
/// The per-datastore hooks save.&lt;TM_MAD&gt; and restore.&lt;TM_MAD&gt; (e.g. save.ceph):
/// an executable file beside the entry that was started, run with the same
/// arguments and the action data on stdin, when the system datastore's TM_MAD has one.
/// </summary>
internal static class DatastoreHook
{
    /// <summary>The hook for <paramref name="action"/> ("save", "restore"), or null when there is none.</summary>
    public static string? Find(IProgramHost host, string action, string? tmMad)
    {
        if (tmMad is null)
        {
            return null;
        }
        if (!IsPlainName(tmMad))
        {
            // a TM_MAD with a slash would name a program anywhere on the host
            throw new OneKvmException(
                $"The system datastore's TM_MAD '{tmMad}' is not a plain name; refusing to look for a {action} hook by it.");
        }
        var path = Path.Combine(host.EntryDirectory, $"{action}.{tmMad}");
        return ProgramPath.IsExecutable(path) ? path : null;
    }

    public static bool IsPlainName(string name) =>
        name.Length > 0 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    /// <summary>Runs the hook; its log lines join ours, and a failure becomes this action's one sentence.</summary>
    public static async Task RunAsync(IProgramHost host, string hook, string stdin, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(hook);
        host.Logger.HookRunning(name);
        ProgramResult result;
        try
        {
            // no deadline: a hook moves a whole checkpoint (rbd import/export)
            result = await host.Programs.RunAsync(ProgramCommand.Create(hook, arguments).WithStandardInput(stdin), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            throw new OneKvmException($"Could not run the {name} hook: {(e.InnerException ?? e).Message.TrimEnd('.')}.", e);
        }
        string? sentence = null;
        foreach (var line in Lines(result.StandardOutput).Concat(Lines(result.StandardError)))
        {
            var (level, text) = Classify(line);
            if (level == LogLevel.None)
            {
                sentence = text;
                level = result.ExitCode == 0 ? LogLevel.Information : LogLevel.Error;
            }
            host.Logger.HookSaid(level, name, text);
        }
        if (result.ExitCode != 0)
        {
            var why = sentence is null ? "" : $": {sentence.TrimEnd('.')}";
            throw new OneKvmException($"The {name} hook failed with exit code {result.ExitCode}{why}.");
        }
    }

    private static IEnumerable<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A hook's "INFO: x" line keeps its level; a plain line (an error sentence) has none.</summary>
    private static (LogLevel Level, string Text) Classify(string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        LogLevel? level = (colon < 0 ? "" : line[..colon]) switch
        {
            "ERROR" => LogLevel.Error,
            "WARN" => LogLevel.Warning,
            "INFO" => LogLevel.Information,
            "DEBUG" => LogLevel.Debug,
            _ => null,
        };
        return level is { } tagged ? (tagged, line[(colon + 1)..].Trim()) : (LogLevel.None, line);
    }
}
