namespace OneKvm.Remotes.Live.Devices;

/// <summary>What a DISK's TYPE (and its datastore's DISK_TYPE) becomes in libvirt: the disk's type and device, its &lt;source&gt; and &lt;auth&gt;.</summary>
internal sealed record DiskSource(string Type, string Device, XElement Source, XElement? Auth)
{
    private const string KnownTypes = "FILE, BLOCK, CDROM, ISCSI, RBD, RBD_CDROM, GLUSTER, GLUSTER_CDROM, SHEEPDOG, SHEEPDOG_CDROM, FS, SWAP";

    public static DiskSource Resolve(TemplateVector disk, string? vmId, string path)
    {
        var type = disk.Text("TYPE")?.ToLowerInvariant() ?? "";
        return type switch
        {
            "block" => Block(path, "disk"),
            "block_cdrom" => Block(path, "cdrom"),
            "cdrom" => string.Equals(disk.Text("DISK_TYPE"), "BLOCK", StringComparison.OrdinalIgnoreCase)
                ? Block(path, "cdrom")
                : File(path, "cdrom"),
            "iscsi" => Iscsi(disk),
            "rbd" or "rbd_cdrom" => Rbd(disk, vmId, DeviceOf(type)),
            "sheepdog" or "sheepdog_cdrom" => Sheepdog(disk, vmId, DeviceOf(type)),
            "gluster" or "gluster_cdrom" => Gluster(disk, vmId, DeviceOf(type)),
            // the datastore's DISK_TYPE decides for plain, volatile (FS) and swap disks
            "" or "file" or "fs" or "swap" => (disk.Text("DISK_TYPE")?.ToUpperInvariant() ?? "") switch
            {
                "RBD" => Rbd(disk, vmId, "disk", volatileDisk: true),
                "BLOCK" => Block(path, "disk"),
                "SHEEPDOG" or "SHEEPDOG_CDROM" => Sheepdog(disk, vmId, "disk"),
                "GLUSTER" => Gluster(disk, vmId, "disk"),
                _ => File(path, "disk"),
            },
            "filesystem" => throw new OneKvmException(
                $"{disk.Subject} is a FILESYSTEM disk (shared with virtiofs), which cannot be hot-plugged."),
            _ => throw disk.Invalid("TYPE", disk.Text("TYPE")!, $"a disk type onekvm knows ({KnownTypes})"),
        };
    }

    private static string DeviceOf(string type) => type.EndsWith("_cdrom", StringComparison.Ordinal) ? "cdrom" : "disk";

    // a disk.N link is handed to libvirt as the file it points to, as deploy does
    private static DiskSource File(string path, string device) =>
        new("file", device, new XElement("source", new XAttribute("file", DiskLinks.Resolve(path.TrimEnd()))), null);

    private static DiskSource Block(string path, string device) =>
        new("block", device, new XElement("source", new XAttribute("dev", path)), null);

    private static DiskSource Network(string device, string protocol, string name, IEnumerable<XElement> hosts, XElement? auth = null) =>
        new("network", device, new XElement("source", new XAttribute("protocol", protocol), new XAttribute("name", name), hosts), auth);

    private static DiskSource Iscsi(TemplateVector disk)
    {
        var name = disk.Text("ISCSI_IQN") ?? disk.Text("SOURCE") ?? throw Missing(disk, "ISCSI", "ISCSI_IQN or SOURCE");
        var auth = disk.Text("ISCSI_USER") is { } user && disk.Text("ISCSI_USAGE") is { } usage
            ? AuthOf(user, new XAttribute("type", "iscsi"), new XAttribute("usage", usage))
            : null;
        return Network("disk", "iscsi", name, NetworkHosts.Parse(disk.Text("ISCSI_HOST")), auth);
    }

    /// <param name="volatileDisk">A volatile disk on a ceph datastore: never an image of its own, whatever SOURCE says.</param>
    private static DiskSource Rbd(TemplateVector disk, string? vmId, string device, bool volatileDisk = false)
    {
        var image = volatileDisk ? null : disk.Text("SOURCE");
        var name = image ?? (disk.Text("POOL_NAME") ?? "one") + "/one-sys";
        // a clone, or a volatile disk without an image, is the VM's own copy
        if (IsClone(disk) || image is null)
        {
            name += $"-{Required(vmId, disk, "RBD", "the VM ID")}-{Required(disk.Text("DISK_ID"), disk, "RBD", "DISK_ID")}";
        }
        return Network(device, "rbd", name, NetworkHosts.Parse(disk.Text("CEPH_HOST")), CephAuth(disk));
    }

    private static DiskSource Sheepdog(TemplateVector disk, string? vmId, string device)
    {
        var name = disk.Text("SOURCE") ?? throw Missing(disk, "SHEEPDOG", "SOURCE");
        if (IsClone(disk))
        {
            name += $"-{Required(vmId, disk, "SHEEPDOG", "the VM ID")}-{Required(disk.Text("DISK_ID"), disk, "SHEEPDOG", "DISK_ID")}";
        }
        return Network(device, "sheepdog", name, NetworkHosts.Parse(disk.Text("SHEEPDOG_HOST"), "tcp"));
    }

    private static DiskSource Gluster(TemplateVector disk, string? vmId, string device)
    {
        var volume = disk.Text("GLUSTER_VOLUME") ?? throw Missing(disk, "GLUSTER", "GLUSTER_VOLUME");
        var file = IsClone(disk)
            ? $"{Required(vmId, disk, "GLUSTER", "the VM ID")}/disk.{Required(disk.Text("DISK_ID"), disk, "GLUSTER", "DISK_ID")}"
            : Path.GetFileName(disk.Text("SOURCE") ?? throw Missing(disk, "GLUSTER", "SOURCE"));
        return Network(device, "gluster", $"{volume}/{file}", NetworkHosts.Parse(disk.Text("GLUSTER_HOST"), "tcp"));
    }

    private static XElement? CephAuth(TemplateVector disk) =>
        disk.Text("CEPH_USER") is { } user && disk.Text("CEPH_SECRET") is { } secret
            ? AuthOf(user, new XAttribute("type", "ceph"), new XAttribute("uuid", secret))
            : null;

    private static XElement AuthOf(string user, params object[] secret) =>
        new("auth", new XAttribute("username", user), new XElement("secret", secret));

    // upstream compares CLONE with "YES" exactly
    private static bool IsClone(TemplateVector disk) => disk.Text("CLONE") == "YES";

    private static string Required(string? value, TemplateVector disk, string type, string what) =>
        value ?? throw Missing(disk, type, what);

    private static OneKvmException Missing(TemplateVector disk, string type, string what) =>
        new($"{disk.Subject} (a {type} disk) has no {what}, which its source is made of.");
}
