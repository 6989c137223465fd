namespace OneKvm.Remotes.Snapshots;

/// <summary>
/// The snapshot metadata OpenNebula keeps in the VM directory (snap-&lt;id&gt;.xml),
/// which outlives the transient domain and is redefined after deploy and restore.
/// </summary>
internal static class SnapshotFiles
{
    public const string Prefix = "snap-";
    public const string Extension = ".xml";

    public static string Name(string snapshotId) => Prefix + snapshotId;

    public static string PathOf(string directory, string snapshotName) => Path.Combine(directory, snapshotName + Extension);

    /// <summary>The snap-*.xml files of a directory in numeric order (snap-2 before snap-10, like `ls -v`).</summary>
    public static IReadOnlyList<string> InOrder(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, Prefix + "*" + Extension).OrderBy(Path.GetFileName, NaturalOrder.Instance)]
            : [];
}

/// <summary>Compares names with runs of digits by their value, as `ls -v` does for snap-N.xml.</summary>
internal sealed class NaturalOrder : IComparer<string?>
{
    public static readonly NaturalOrder Instance = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }
        int i = 0, j = 0;
        while (i < x.Length && j < y.Length)
        {
            int order;
            if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
            {
                var (xs, xe) = DigitRun(x, i);
                var (ys, ye) = DigitRun(y, j);
                // more significant digits (leading zeros aside) is the bigger number
                order = (xe - xs).CompareTo(ye - ys) is var byLength and not 0 ? byLength : string.CompareOrdinal(x, xs, y, ys, xe - xs);
                (i, j) = (xe, ye);
            }
            else
            {
                order = x[i++].CompareTo(y[j++]);
            }
            if (order != 0)
            {
                return order;
            }
        }
        var byRest = (x.Length - i).CompareTo(y.Length - j);
        return byRest != 0 ? byRest : string.CompareOrdinal(x, y);
    }

    /// <summary>Where the significant digits of the run at <paramref name="start"/> begin, and where the run ends.</summary>
    private static (int Start, int End) DigitRun(string s, int start)
    {
        var end = start;
        while (end < s.Length && char.IsAsciiDigit(s[end]))
        {
            end++;
        }
        var significant = start;
        while (significant < end - 1 && s[significant] == '0')
        {
            significant++;
        }
        return (significant, end);
    }
}
