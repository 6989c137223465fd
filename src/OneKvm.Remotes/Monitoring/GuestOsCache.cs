using OneKvm.Remotes.Guest;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// What guest-get-osinfo said, per QEMU process (domain UUID and pid), in the probes'
/// runtime directory: a guest's OS does not change while its QEMU runs, so each VM costs
/// one agent call less per poll (upstream keeps "an already cached value" the same way).
/// Lines: uuid pid id type version machine, tab-separated. Losing the file costs one call.
/// </summary>
internal sealed class GuestOsCache(string? path)
{
    private readonly Dictionary<string, GuestOs> _entries = new(StringComparer.Ordinal);

    public static GuestOsCache Load(Func<string, string?> environment, string? host)
    {
        var (directory, _) = RuntimeDirectory.Resolve(environment);
        var path = directory is null ? null : Path.Combine(directory, RuntimeDirectory.FileName("guestos", host));
        var cache = new GuestOsCache(path);
        if (path is not null && StateFile.Read(path) is { } text)
        {
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split('\t');
                if (f.Length == 6)
                {
                    cache._entries[f[0] + "\t" + f[1]] = new GuestOs(f[2], f[3], f[4], f[5]);
                }
            }
        }
        return cache;
    }

    public static string KeyOf(OneVm vm) => vm.Uuid + "\t" + (vm.Process?.Pid ?? 0).ToString(CultureInfo.InvariantCulture);

    public GuestOs? Find(OneVm vm) => vm.Process is null ? null : _entries.GetValueOrDefault(KeyOf(vm));

    /// <summary>Keeps the answers of the VMs of this poll only.</summary>
    public void Save(IEnumerable<(OneVm Vm, GuestOs Os)> current)
    {
        if (path is null)
        {
            return;
        }
        var text = new StringBuilder();
        foreach (var (vm, os) in current)
        {
            if (vm.Process is not null && os.Id is not null && !new[] { os.Id, os.Type, os.Version, os.Machine }.Any(v => v!.Contains('\t') || v.Contains('\n')))
            {
                text.Append(KeyOf(vm)).Append('\t').Append(os.Id).Append('\t').Append(os.Type).Append('\t')
                    .Append(os.Version).Append('\t').Append(os.Machine).Append('\n');
            }
        }
        try
        {
            StateFile.Replace(path, text.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // the next poll asks the agents again
        }
    }
}
