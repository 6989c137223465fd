namespace OneKvm.Remotes.Doctor;

/// <summary>
/// kvmrc: where it was found, every line the parser skipped, every value taken differently from
/// how it reads (as upstream takes it), and every value an action would refuse.
/// </summary>
internal static class KvmrcChecks
{
    private const string Area = "kvmrc";

    /// <param name="notes">Filled by <paramref name="settings"/> as values are read: what was taken other than it reads.</param>
    public static IReadOnlyList<Finding> Run(RemotesLocation location, KvmSettings settings, IReadOnlyList<SettingNote> notes)
    {
        var document = settings.Document;
        var findings = new List<Finding>
        {
            document.Exists
                ? Finding.Ok(Area, $"{location.KvmrcPath} ({location.How})")
                : Finding.Warn(Area, $"no kvmrc at {location.KvmrcPath} ({location.How}): upstream's defaults apply",
                    "onehost sync --force puts the front-end's kvmrc there"),
        };
        findings.AddRange(document.Warnings.Select(warning => Finding.Warn(Area,
            warning.ToString() + " (a shell would have run it; onekvm never runs kvmrc)", "write it as NAME=value, or remove it")));
        foreach (var parameter in KvmrcParameters.All)
        {
            try
            {
                settings.Validate(parameter);
            }
            catch (KvmrcException e)
            {
                findings.Add(Finding.Fail(Area, e.Message, $"fix {parameter.Name} in {location.KvmrcPath}; the actions that read it fail until then"));
            }
        }
        findings.AddRange(notes.Select(note => Finding.Warn(Area, $"{note.Value} {note.Problem}; taken as {note.TakenAs}",
            $"write the value you mean for {note.Value.Name} in {location.KvmrcPath}")));
        var unread = document.Effective.Values.Where(a => !KvmrcParameters.IsKnown(a.Name) && !a.Exported);
        findings.AddRange(unread.Select(extra => Finding.Warn(Area,
            $"{document.Path}:{extra.Line}: {extra.Name} is not a driver setting and not exported, so nothing reads it",
            "export it if virsh should see it, or remove it")));
        return findings;
    }
}
