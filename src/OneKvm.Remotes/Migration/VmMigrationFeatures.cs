namespace OneKvm.Remotes.Migration;

/// <summary>
/// The VM's own migration settings from its template's FEATURES: MIGRATE_AUTO_CONVERGE
/// ("initial[,increment]", CPU throttling percentages) and MIGRATE_COMPRESSED=YES. Checked
/// before anything is touched: upstream pasted them into a shell string as they came.
/// </summary>
internal sealed record VmMigrationFeatures(int? AutoConvergeInitial, int? AutoConvergeIncrement, bool Compressed)
{
    public static VmMigrationFeatures From(ActionData? data)
    {
        var features = data?.Template?.Element("FEATURES");
        var compressed = string.Equals(ActionData.Text(features, "MIGRATE_COMPRESSED"), "YES", StringComparison.OrdinalIgnoreCase);
        var converge = ActionData.Text(features, "MIGRATE_AUTO_CONVERGE");
        if (converge is null)
        {
            return new(null, null, compressed);
        }
        var parts = converge.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length > 2)
        {
            throw Invalid(converge);
        }
        var initial = Percentage(parts[0], converge);
        var increment = parts.Length == 2 && parts[1].Length > 0 ? Percentage(parts[1], converge) : (int?)null;
        return new(initial, increment, compressed);
    }

    public IReadOnlyList<string> Arguments()
    {
        var arguments = new List<string>();
        if (AutoConvergeInitial is { } initial)
        {
            arguments.AddRange(["--auto-converge", "--auto-converge-initial", initial.ToString(CultureInfo.InvariantCulture)]);
            if (AutoConvergeIncrement is { } increment)
            {
                arguments.AddRange(["--auto-converge-increment", increment.ToString(CultureInfo.InvariantCulture)]);
            }
        }
        if (Compressed)
        {
            arguments.Add("--compressed");
        }
        return arguments;
    }

    private static int Percentage(string text, string whole) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value <= 100
            ? value
            : throw Invalid(whole);

    private static OneKvmException Invalid(string value) =>
        new($"FEATURES/MIGRATE_AUTO_CONVERGE=\"{OneLogFormatter.Printable(value)}\" is not valid: expected initial[,increment], percentages from 0 to 100.");
}
