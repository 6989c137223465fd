namespace OneKvm.Remotes.Migration;

internal sealed record ImageInfo(string Format, long VirtualSize, string? Backing, string? BackingFormat, int Snapshots)
{
    /// <summary>Reads `qemu-img info --output=json`; null when it is not that.</summary>
    public static ImageInfo? Parse(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("virtual-size", out var size) || size.ValueKind != JsonValueKind.Number
                || !size.TryGetInt64(out var bytes))
            {
                return null;
            }
            return new ImageInfo(format.GetString()!, bytes, Text(root, "backing-filename"), Text(root, "backing-filename-format"),
                root.TryGetProperty("snapshots", out var snapshots) && snapshots.ValueKind == JsonValueKind.Array
                    ? snapshots.GetArrayLength()
                    : 0);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;
}

/// <summary>
/// A disk of the domain as its live XML describes it: target, device, libvirt's type,
/// the file it reads (none for network and block disks), read-only or not.
/// </summary>
internal sealed record DomainDisk(string Target, string Device, string Type, string? File, bool ReadOnly)
{
    public static IReadOnlyList<DomainDisk> From(XElement domain) =>
        domain.Element("devices")?.Elements("disk")
            .Select(d => new DomainDisk(
                (string?)d.Element("target")?.Attribute("dev") ?? "",
                (string?)d.Attribute("device") ?? "disk",
                (string?)d.Attribute("type") ?? "file",
                (string?)d.Element("source")?.Attribute("file") is { Length: > 0 } f ? f : null,
                d.Element("readonly") is not null))
            .Where(d => d.Target.Length > 0)
            .ToList()
        ?? [];

    /// <summary>QEMU opens it read-only: libvirt cannot mirror it, and it cannot change while the VM runs.</summary>
    public bool IsReadOnly => ReadOnly || Device is "cdrom" or "floppy";
}

/// <summary>A disk copied live by libvirt into an image created beforehand on the destination.</summary>
internal sealed record LiveDisk(string Target, string RealPath, string Relative, ImageInfo Image)
{
    /// <summary>qemu-img create's argv for the empty image on the destination: same format and size, the same backing file when it has one.</summary>
    public IReadOnlyList<string> CreateCommand(string destinationPath)
    {
        // with a backing file the size is given (-u): it is not opened, so it may arrive after (or beside) the image's creation
        string[] backing = Image.Backing is null
            ? []
            : ["-b", Image.Backing, .. Image.BackingFormat is { } f ? ["-F", f] : (string[])[], "-u"];
        return [QemuImg.Executable, "create", "-q", "-f", Image.Format, .. backing, destinationPath,
            Image.VirtualSize.ToString(CultureInfo.InvariantCulture)];
    }
}

/// <summary>
/// How the files of a VM reach another host when its system datastore is not shared. Every
/// file of the VM directory is copied before the migration except the images QEMU writes,
/// which libvirt copies live (storage migration of exactly those disks) into images made
/// beforehand with the same format, size and backing file: a disk in a snapshot chain
/// (disk.N.snap/) has its read-only backing files copied first and only its top layer
/// mirrored (--copy-storage-inc). Disks outside the VM directory (network disks, shared
/// image datastores reached through a symlink) are not copied; neither are block devices.
/// </summary>
/// <param name="PausedCopy">
/// Disks whose image holds internal qcow2 snapshots (OpenNebula's system snapshots): QEMU's
/// mirror copies what the guest sees, never the snapshots, so the image file itself is copied,
/// once while the VM runs and again (only what changed) while it is paused just before the
/// switchover; the destination's QEMU then opens that copy. On the same host (another datastore) the file is
/// copied while the VM is paused, and then mirrored into (block copy into an existing image).
/// </param>
/// <param name="ReadOnly">Read-only disks below the VM directory (CD-ROMs, the context ISO): copied with the other files.</param>
/// <param name="NotCopied">Targets left where they are, with the reason (for the log).</param>
/// <param name="AfterSwitchover">Files below the VM directory QEMU writes besides the disks (the UEFI variables): copied after the switchover, while the VM is paused.</param>
internal sealed record StorageCopyPlan(MigrationStorage Storage, IReadOnlyList<LiveDisk> Live, IReadOnlyList<LiveDisk> PausedCopy,
    IReadOnlyList<(DomainDisk Disk, string Relative)> ReadOnly, IReadOnlyList<(string Target, string Why)> NotCopied,
    IReadOnlyList<string> AfterSwitchover)
{
    public IReadOnlyList<string> MigrateOptions() =>
    [
        .. Live.Count == 0
            ? (string[])[]
            // some live disk has a backing file: only top layers are mirrored
            : [Live.Any(d => d.Image.Backing is not null) ? "--copy-storage-inc" : "--copy-storage-all", "--migrate-disks",
                string.Join(',', Live.Select(d => d.Target))],
        // the images copied while the VM is paused are on the destination already: libvirt would call them unshared
        .. PausedCopy.Count > 0 ? ["--unsafe"] : (string[])[],
        .. AfterSwitchover.Count > 0 || PausedCopy.Count > 0 ? ["--suspend"] : (string[])[],
    ];

    /// <summary>
    /// Images with internal snapshots are copied as files while the guest cannot write them: the VM is paused (QEMU
    /// flushes its images when it stops), so the copy is a consistent image. True when onekvm paused it (a failure from
    /// here on resumes it).
    /// </summary>
    public async Task<bool> PauseForPausedCopyAsync(ILogger logger, VirshRunner virsh, string domain, DomainInfo info, CancellationToken cancellationToken)
    {
        logger.PausingForSnapshotCopy(domain, string.Join(", ", PausedCopy.Select(d => d.Target)));
        if (info.State != "running")
        {
            return false;
        }
        await virsh.RunOrFailAsync(VirshCommand.Create("suspend", "--domain", info.Uuid), $"Could not pause {domain}", cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    /// <summary>Relative paths the copy before the migration leaves out: the images libvirt mirrors, the files copied after.</summary>
    public IEnumerable<string> Excluded => Live.Select(d => d.Relative).Concat(AfterSwitchover);

    /// <summary>
    /// Sorts the disks of <paramref name="domain"/>: <paramref name="realPaths"/> maps each file to its
    /// canonical path (symlinks resolved), <paramref name="images"/> each writable one to its image.
    /// </summary>
    public static StorageCopyPlan Build(MigrationStorage storage, XElement domain, IReadOnlyDictionary<string, string> realPaths,
        IReadOnlyDictionary<string, ImageInfo> images)
    {
        var live = new List<LiveDisk>();
        var paused = new List<LiveDisk>();
        var readOnly = new List<(DomainDisk, string)>();
        var notCopied = new List<(string, string)>();
        foreach (var disk in DomainDisk.From(domain))
        {
            if (disk.File is null)
            {
                notCopied.Add((disk.Target, disk.Type == "file" ? "no medium" : $"a {disk.Type} disk"));
                continue;
            }
            var real = realPaths.GetValueOrDefault(disk.File, disk.File);
            var relative = storage.Relative(real);
            if (relative is null)
            {
                notCopied.Add((disk.Target, $"{real} is outside the VM directory"));
                continue;
            }
            if (disk.IsReadOnly)
            {
                readOnly.Add((disk, relative));
                continue; // copied with the other files of the directory
            }
            (images[disk.File].Snapshots > 0 ? paused : live).Add(new LiveDisk(disk.Target, real, relative, images[disk.File]));
        }
        var after = Nvram(domain).Select(n => storage.Relative(realPaths.GetValueOrDefault(n, n))).OfType<string>().ToList();
        return new StorageCopyPlan(storage, live, paused, readOnly, notCopied, after);
    }

    /// <summary>The files whose canonical paths and images the plan needs.</summary>
    public static IEnumerable<string> FilesOf(XElement domain) =>
        DomainDisk.From(domain).Select(d => d.File).OfType<string>().Concat(Nvram(domain));

    /// <summary>The UEFI variables file, when the domain has one.</summary>
    public static IEnumerable<string> Nvram(XElement domain) =>
        (string?)domain.Element("os")?.Element("nvram") is { Length: > 0 } nvram ? [nvram] : [];

    /// <summary>
    /// Reads the domain's disks (live XML), their canonical paths and the images QEMU writes, on
    /// the host that has them; nothing changes anywhere.
    /// </summary>
    public static async Task<StorageCopyPlan> ReadAsync(TimeSpan timeout, ILogger logger, VirshRunner source, HostShell sourceShell, string domain,
        MigrationStorage storage, CancellationToken cancellationToken)
    {
        var xml = await source.Domain(domain).XmlAsync(cancellationToken, $"Could not read the disks of domain {domain}").ConfigureAwait(false);
        var files = FilesOf(xml).Distinct(StringComparer.Ordinal).ToList();
        var realPaths = new Dictionary<string, string>(StringComparer.Ordinal);
        // the images of every writable file disk are read beside realpath; the answers of those outside the VM directory are dropped
        // (-U: QEMU holds the image's lock while the VM runs)
        var infos = DomainDisk.From(xml).Where(d => d.File is not null && !d.IsReadOnly).Select(d => d.File!).Distinct(StringComparer.Ordinal)
            .ToDictionary(f => f, f => sourceShell.RunOrFailAsync([QemuImg.Executable, "info", "-U", "--output=json", "--", f],
                $"qemu-img info of {f}", timeout, cancellationToken), StringComparer.Ordinal);
        if (files.Count > 0)
        {
            // one call for every file: -e fails on a missing one, which libvirt would fail on later anyway
            var resolving = sourceShell.RunOrFailAsync(["realpath", "-e", "--", .. files, storage.SourceDirectory],
                $"Resolving the files of {domain}", timeout, cancellationToken);
            await Task.WhenAll((Task[])[resolving, .. infos.Values]).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var output = await resolving.ConfigureAwait(false);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length != files.Count + 1)
            {
                throw new OneKvmException($"realpath printed {lines.Length} lines for {files.Count + 1} files of {domain}.");
            }
            for (var i = 0; i < files.Count; i++)
            {
                realPaths[files[i]] = lines[i];
            }
            // the VM directory itself may be reached through a symlink (a datastore mounted elsewhere)
            if (lines[^1] != storage.SourceDirectory)
            {
                storage = storage with { SourceDirectory = lines[^1] };
            }
        }
        var images = new Dictionary<string, ImageInfo>(StringComparer.Ordinal);
        foreach (var (file, info) in infos)
        {
            if (storage.Relative(realPaths.GetValueOrDefault(file, file)) is null)
            {
                continue;
            }
            images[file] = ImageInfo.Parse(await info.ConfigureAwait(false))
                           ?? throw new OneKvmException($"qemu-img info did not describe {file}.");
        }
        var plan = Build(storage, xml, realPaths, images);
        foreach (var (target, why) in plan.NotCopied)
        {
            logger.DiskNotCopied(target, domain, why);
        }
        return plan;
    }
}
