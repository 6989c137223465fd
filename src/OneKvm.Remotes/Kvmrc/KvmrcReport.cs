namespace OneKvm.Remotes.Kvmrc;

/// <summary>`onekvm kvmrc`: every setting, its effective value and where it came from.</summary>
internal static class KvmrcReport
{
    /// <param name="how">how the file was found (RemotesLocation.How)</param>
    public static int Write(string kvmrcPath, string how, Func<string, string?> environment, TextWriter output, TextWriter errors)
    {
        KvmrcDocument document;
        try
        {
            document = KvmrcParser.Load(kvmrcPath, environment);
        }
        catch (OneKvmException e)
        {
            errors.WriteLine(e.Message);
            return ExitCodes.Failure;
        }
        var notes = new List<SettingNote>();
        var settings = new KvmSettings(document, environment, notes.Add);
        output.WriteLine($"# kvmrc: {kvmrcPath} ({(document.Exists ? "found" : "not found, defaults apply")}; {how})");
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
            errors.WriteLine($"WARN: kvmrc: {warning}");
        }
        if (invalid > 0)
        {
            errors.WriteLine($"{invalid} kvmrc setting(s) are invalid; the actions that read them will fail.");
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
