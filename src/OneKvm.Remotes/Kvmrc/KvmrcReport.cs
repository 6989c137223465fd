using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Kvmrc;

/// <summary>`onekvm kvmrc`: every setting, its effective value and where it came from.</summary>
internal static class KvmrcReport
{
    public static int Write(RemotesLocation location, DriverHost host)
    {
        KvmrcDocument document;
        try
        {
            document = KvmrcParser.Load(location.KvmrcPath, host.Environment);
        }
        catch (OneKvmException e)
        {
            host.Stderr.WriteLine(e.Message);
            return ExitCodes.Failure;
        }
        var notes = new List<SettingNote>();
        var settings = new KvmSettings(document, host.Environment, notes.Add);
        var output = host.Stdout;
        output.WriteLine($"# kvmrc: {location.KvmrcPath} ({(document.Exists ? "found" : "not found, defaults apply")}; {location.How})");
        var invalid = 0;
        foreach (var parameter in KvmrcParameters.All)
        {
            var value = settings.Get(parameter.Name);
            string? problem = null;
            try
            {
                settings.Validate(parameter);
                if (notes.Find(n => n.Value.Name == parameter.Name) is { } taken)
                {
                    problem = $"WARN: {taken.Problem}; taken as {taken.TakenAs}";
                }
            }
            catch (KvmrcException e)
            {
                problem = "INVALID: " + e.Message;
                invalid++;
            }
            var shown = value.Text is null ? "(unset)" : ShellWord(value.Text);
            output.WriteLine($"{parameter.Name}={shown}  # {value.Where}{(problem is null ? "" : "  " + problem)}");
        }
        foreach (var extra in document.Effective.Values.Where(a => !KvmrcParameters.IsKnown(a.Name)))
        {
            var note = extra.Exported ? "exported to virsh" : "not a driver setting";
            output.WriteLine($"{extra.Name}={ShellWord(extra.Value)}  # {document.Path}:{extra.Line}, {note}");
        }
        foreach (var warning in document.Warnings)
        {
            host.Stderr.WriteLine($"WARN: kvmrc: {warning}");
        }
        if (invalid > 0)
        {
            host.Stderr.WriteLine($"{invalid} kvmrc setting(s) are invalid; the actions that read them will fail.");
            return ExitCodes.Failure;
        }
        return ExitCodes.Success;
    }

    /// <summary>
    /// The value as a shell word that reads back as the same value: in double quotes when nothing
    /// in it is special there, else in single quotes (a '$(cmd)' read from kvmrc is never shown as "$(cmd)").
    /// </summary>
    internal static string ShellWord(string value) =>
        value.AsSpan().IndexOfAny("$`\\\"!") < 0
            ? $"\"{value}\""
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
