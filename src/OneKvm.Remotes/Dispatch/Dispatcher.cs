namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// Turns argv[0] into an entry of the action table and runs it under the driver
/// protocol: the answer on stdout, log lines on stderr, and on failure one plain
/// sentence as the last stderr line with a non-zero exit code (never 42).
/// </summary>
internal static class Dispatcher
{
    private static readonly string[] LogTags = ["ERROR:", "INFO:", "WARN:", "DEBUG:"];

    public static async Task<int> RunAsync(string invokedAs, IReadOnlyList<string> args, DriverHost host,
        CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(invokedAs);
        var entry = ActionTable.Find(name);
        if (entry is null)
        {
            host.Stderr.WriteLine($"onekvm: '{OneLogFormatter.Printable(name)}' is not an onekvm action; 'onekvm --list' shows them.");
            return ExitCodes.Usage;
        }
        if (entry.Kind != EntryKind.Tool)
        {
            return await RunActionAsync(entry, invokedAs, entry, args, host, cancellationToken).ConfigureAwait(false);
        }
        // called by its own name: a command of the table, or the action named first
        var call = new ToolCall(invokedAs, args.Count > 0 ? args : ["--help"], host, ActionTable.All, ActionTable.Commands, cancellationToken);
        if (ActionTable.Commands.FirstOrDefault(c => c.Matches(call.Args)) is { } command)
        {
            return await command.RunAsync(call).ConfigureAwait(false);
        }
        var action = ActionTable.Find(call.Args[0]);
        if (action is null || action.Kind == EntryKind.Tool)
        {
            host.Stderr.WriteLine($"onekvm: '{call.Args[0]}' is not an onekvm action or command; 'onekvm --list' shows them.");
            return ExitCodes.Usage;
        }
        return await RunActionAsync(action, invokedAs, entry, [.. args.Skip(1)], host, cancellationToken).ConfigureAwait(false);
    }

    public static async Task<int> RunActionAsync(ActionEntry entry, string invokedAs, ActionEntry invokedEntry,
        IReadOnlyList<string> args, DriverHost host, CancellationToken cancellationToken)
    {
        if (entry.Kind == EntryKind.RootHelper)
        {
            // runs as root, by its entry or as `onekvm <helper>`: nothing of the caller's environment counts (RootHelpers/RootEnvironment.cs)
            host.ScrubProcessEnvironment();
            host = host with { Environment = RootHelpers.RootEnvironment.Lookup };
        }
        if (ActionCommandLine.IsHelpRequest(args))
        {
            ActionCommandLine.WriteHelp(entry, host.Stderr);
            return ExitCodes.Success;
        }
        var location = RemotesLocation.Resolve(invokedAs, invokedEntry, host.ProcessPath, host.Environment);
        string? sentence = null;
        int code;
        var context = new DriverContext(entry, location, host);
        try
        {
            RawArguments.EnsureUtf8();
            var arguments = ActionCommandLine.Parse(entry, args);
            // every action reads kvmrc first, so that its warnings reach the VM log whatever the action uses;
            // a root helper reads it only if it needs a setting (kvmrc is oneadmin's to write)
            if (entry.Kind != EntryKind.RootHelper)
            {
                _ = context.Settings;
            }
            if (entry.Create is null)
            {
                throw new NotImplementedActionException(entry.Name);
            }
            // a probe's extra arguments are the monitor client's own, passed on every run
            // an entry without parameters passes everything on (virtiofsd.sh)
            if (arguments.Extra.Count > 0 && entry.Kind != EntryKind.Probe && entry.Parameters.Count > 0)
            {
                context.Logger.ExtraArguments(string.Join(' ', arguments.Extra.Select(ShellQuote.Quote)));
            }
            await entry.Create().RunAsync(context, arguments, cancellationToken).ConfigureAwait(false);
            code = ExitCodes.Success;
        }
        catch (OneKvmException e)
        {
            LogCauses(context, e);
            sentence = e.Message;
            code = e.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            sentence = Interruption.Sentence(entry.Name);
            code = ExitCodes.Failure;
        }
        catch (Exception e)
        {
            // no stack trace in the VM log: one sentence, and the exception chain for whoever debugs (the AOT build carries
            // no stack trace data, only addresses)
            context.Logger.UnexpectedDetail(string.Join('\n', Chain(e).Select(x => $"{x.GetType().FullName}: {x.Message}")));
            sentence = $"{entry.Name} failed unexpectedly: {e.GetType().Name}: {e.Message}";
            code = ExitCodes.Internal;
        }
        if (sentence is not null)
        {
            host.Stderr.WriteLine(OneLine(sentence));
            host.Stderr.Flush();
        }
        return ExitCodes.Safe(code);
    }

    /// <summary>Logs what virsh said for every failed command behind the error, as upstream's exec_and_log did.</summary>
    private static void LogCauses(DriverContext context, Exception e)
    {
        foreach (var r in Chain(e).OfType<VirshException>().Where(v => v is not VirshTimeoutException).Select(v => v.Result))
        {
            var stderr = string.Join(' ', r.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            context.Logger.CommandFailed(r.Command.Render(), r.ExitCode, stderr);
        }
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    private static string OneLine(string sentence)
    {
        var line = OneLogFormatter.Printable(sentence.Replace("\r\n", " ").Replace('\n', ' ')).Trim();
        // a plain line that looked like a log line would be swallowed by one_vmm_exec's parser
        return LogTags.Any(tag => line.StartsWith(tag, StringComparison.Ordinal)) ? "onekvm: " + line : line;
    }
}
