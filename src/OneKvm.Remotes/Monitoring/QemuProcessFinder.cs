namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// Finds the QEMU process of each domain without asking libvirt: first through the
/// pid file libvirt keeps for it (/run/libvirt/qemu/NAME.pid), checked against the
/// process's own command line; for any domain left over, through one pass over
/// /proc looking for "-name guest=NAME", as upstream finds them with ps.
/// </summary>
internal sealed class QemuProcessFinder(ProcFs proc, string pidDirectory = QemuProcessFinder.SystemPidDirectory)
{
    /// <summary>Where the system libvirtd (or virtqemud) keeps its QEMU pid files; readable by everyone.</summary>
    public const string SystemPidDirectory = "/run/libvirt/qemu";

    private const int PidFileLimit = 4096;

    public IReadOnlyDictionary<string, QemuProcess> Find(IReadOnlyCollection<string> names)
    {
        var found = new Dictionary<string, QemuProcess>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (FromPidFile(name) is { } process)
            {
                found[name] = process;
            }
        }
        var missing = names.Where(n => !found.ContainsKey(n)).ToHashSet(StringComparer.Ordinal);
        foreach (var pid in missing.Count > 0 ? proc.ProcessIds() : [])
        {
            if (Identify(pid) is { } process && missing.Remove(process.Name))
            {
                found[process.Name] = process;
                if (missing.Count == 0)
                {
                    break;
                }
            }
        }
        return found;
    }

    private QemuProcess? FromPidFile(string name)
    {
        string? text;
        try
        {
            // not a regular file or too large for a pid: the /proc pass finds the process
            text = RegularFile.TryReadText(Path.Combine(pidDirectory, name + ".pid"), "the QEMU pid file", PidFileLimit);
        }
        catch (OneKvmException)
        {
            return null;
        }
        // a stale pid file may name a pid that now belongs to another process
        return text is not null && int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
            && Identify(pid) is { } process && process.Name == name
            ? process
            : null;
    }

    private QemuProcess? Identify(int pid) =>
        proc.CommandLine(pid) is { } arguments && QemuCommandLine.Identify(arguments) is var (name, uuid)
            ? new QemuProcess(name, uuid, pid)
            : null;
}
