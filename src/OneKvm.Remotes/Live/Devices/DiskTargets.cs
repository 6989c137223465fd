namespace OneKvm.Remotes.Live.Devices;

/// <summary>Target device names (vda, sdc, hdb) and what they imply for the libvirt XML.</summary>
internal static class DiskTargets
{
    /// <summary>
    /// The SCSI target number of an sd* name, counted like spreadsheet columns
    /// (sda = 0, sdz = 25, sdaa = 26), so that a hot-plugged SCSI disk lands where its
    /// name says; null for other names and numbers outside 0-255.
    /// </summary>
    public static int? ScsiTargetNumber(string target)
    {
        if (!target.StartsWith("sd", StringComparison.Ordinal) || target.Length == 2)
        {
            return null;
        }
        var number = 0;
        foreach (var c in target.AsSpan(2))
        {
            if (c is < 'a' or > 'z')
            {
                return null;
            }
            number = number * 26 + (c - 'a' + 1);
            if (number > 256)
            {
                return null;
            }
        }
        return number - 1 < 256 ? number - 1 : null;
    }
}
