using System.Xml.Linq;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Xml;
using Xunit;
using OneKvm.Remotes.Migration;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>What a migration off a non-shared system datastore copies, and how: decided from the action data and the domain XML alone.</summary>
public sealed class StorageCopyPlanSpecs
{
    private const string Dir = "/var/lib/one/datastores/0/7";

    private static readonly MigrationStorage Storage = new(false, Dir, Dir);

    [Fact]
    public void A_datastore_is_shared_only_when_its_template_says_yes_and_the_vm_directory_is_base_path_and_vm_id()
    {
        var notShared = MigrationStorage.From(Data("NO", "/var/lib/one//datastores/0/", "/var/lib/one//datastores/100/7"), "7");
        var shared = MigrationStorage.From(Data("yes", "/var/lib/one/datastores/0", ""), "7");
        var unset = MigrationStorage.From(Data(null, "/var/lib/one/datastores/0", ""), "7");

        Assert.Equal(new MigrationStorage(false, Dir, "/var/lib/one/datastores/100/7"), notShared);
        Assert.True(notShared!.ChangesDirectory);
        Assert.Equal(new MigrationStorage(true, Dir, Dir), shared);
        Assert.False(unset!.Shared); // as upstream: anything but YES is not shared
        Assert.Null(MigrationStorage.From(Data("NO", null, ""), "7")); // no directory to copy: migrated as a shared one
        Assert.Null(MigrationStorage.From(null, "7"));
    }

    [Fact]
    public void Written_disks_of_the_vm_directory_are_copied_live_and_everything_else_stays_or_goes_with_the_files()
    {
        var domain = Domain(
            FileDisk("vda", $"{Dir}/disk.0", "qcow2"),
            FileDisk("vdb", $"{Dir}/disk.1", "raw"),
            FileDisk("vdc", $"{Dir}/disk.2.snap/1", "qcow2"),
            new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
                new XElement("source", new XAttribute("file", $"{Dir}/disk.3")), new XElement("target", new XAttribute("dev", "hda")),
                new XElement("readonly")),
            new XElement("disk", new XAttribute("type", "network"), new XAttribute("device", "disk"),
                new XElement("source", new XAttribute("protocol", "rbd"), new XAttribute("name", "one/one-1")),
                new XElement("target", new XAttribute("dev", "vdd"))),
            FileDisk("vde", $"{Dir}/disk.5", "qcow2"));
        var real = new Dictionary<string, string> { [$"{Dir}/disk.5"] = "/var/lib/one/datastores/1/abcdef" };
        var images = new Dictionary<string, ImageInfo>
        {
            [$"{Dir}/disk.0"] = new("qcow2", 1 << 30, null, null, 0),
            [$"{Dir}/disk.1"] = new("raw", 1 << 20, null, null, 0),
            [$"{Dir}/disk.2.snap/1"] = new("qcow2", 1 << 30, "0", "qcow2", 0),
        };

        var plan = StorageCopyPlan.Build(Storage, domain, real, images);

        Assert.Equal(["vda", "vdb", "vdc"], plan.Live.Select(d => d.Target));
        Assert.Equal(["disk.0", "disk.1", "disk.2.snap/1"], plan.Excluded);
        Assert.Equal(["hda"], plan.ReadOnly.Select(r => r.Disk.Target));
        Assert.Equal(["vdd", "vde"], plan.NotCopied.Select(n => n.Target));
        // a chain: its backing files go with the files, only its top layer is mirrored
        Assert.Equal(["--copy-storage-inc", "--migrate-disks", "vda,vdb,vdc"], plan.MigrateOptions());
        Assert.Equal(["qemu-img", "create", "-q", "-f", "qcow2", "-b", "0", "-F", "qcow2", "-u", "/x/disk.2.snap/1", "1073741824"],
            plan.Live[2].CreateCommand("/x/disk.2.snap/1"));
        Assert.Equal(["qemu-img", "create", "-q", "-f", "raw", "/x/disk.1", "1048576"], plan.Live[1].CreateCommand("/x/disk.1"));
    }

    [Fact]
    public void Flat_disks_are_copied_whole_and_uefi_variables_follow_after_the_switchover_while_the_vm_is_paused()
    {
        var domain = Domain(FileDisk("vda", $"{Dir}/disk.0", "raw"));
        domain.Element("os")!.Add(new XElement("nvram", $"{Dir}/one-7_VARS.fd"));
        var images = new Dictionary<string, ImageInfo> { [$"{Dir}/disk.0"] = new("raw", 1 << 20, null, null, 0) };

        var plan = StorageCopyPlan.Build(Storage, domain, new Dictionary<string, string>(), images);

        Assert.Equal(["--copy-storage-all", "--migrate-disks", "vda", "--suspend"], plan.MigrateOptions());
        Assert.Equal(["disk.0", "one-7_VARS.fd"], plan.Excluded);
    }

    [Fact]
    public void An_image_with_internal_snapshots_goes_as_a_file_copied_while_the_vm_is_paused_and_the_others_are_mirrored()
    {
        var domain = Domain(FileDisk("vda", $"{Dir}/disk.0", "qcow2"), FileDisk("vdb", $"{Dir}/disk.1", "raw"));
        var images = new Dictionary<string, ImageInfo>
        {
            [$"{Dir}/disk.0"] = new("qcow2", 1 << 30, null, null, 2),
            [$"{Dir}/disk.1"] = new("raw", 1 << 20, null, null, 0),
        };

        var plan = StorageCopyPlan.Build(Storage, domain, new Dictionary<string, string>(), images);

        Assert.Equal([("vda", "disk.0")], plan.PausedCopy.Select(d => (d.Target, d.Relative)));
        Assert.Equal(["vdb"], plan.Live.Select(d => d.Target));
        // the copy made while the VM runs includes it: the one made while it is paused sends what changed since
        Assert.Equal(["disk.1"], plan.Excluded);
        Assert.Equal(["--copy-storage-all", "--migrate-disks", "vdb", "--unsafe", "--suspend"], plan.MigrateOptions());
    }

    [Fact]
    public void Qemu_img_info_gives_format_size_backing_file_and_the_number_of_internal_snapshots()
    {
        var info = ImageInfo.Parse("""
            { "virtual-size": 1073741824, "filename": "1", "format": "qcow2", "backing-filename": "0",
              "backing-filename-format": "qcow2", "snapshots": [ { "id": "1", "name": "snap-0" } ] }
            """);

        Assert.Equal(new ImageInfo("qcow2", 1073741824, "0", "qcow2", 1), info);
        Assert.Null(ImageInfo.Parse("not json"));
    }

    [Theory]
    // found by the qemu-img-info fuzz target: a size that is a string threw InvalidOperationException
    [InlineData("""{ "format": "qcow2", "virtual-size": ".0" }""")]
    [InlineData("""{ "format": "qcow2", "virtual-size": [1] }""")]
    [InlineData("""{ "format": "qcow2", "virtual-size": 1.5 }""")]
    public void Qemu_img_info_whose_virtual_size_is_no_whole_number_describes_no_image(string json) =>
        Assert.Null(ImageInfo.Parse(json));

    private static ActionData Data(string? shared, string? basePath, string target) =>
        ActionData.Parse(new XElement("VMM_DRIVER_ACTION_DATA",
            new XElement("DISK_TARGET_PATH", target),
            new XElement("VM", new XElement("ID", 7)),
            new XElement("DATASTORE", basePath is null ? null : new XElement("BASE_PATH", basePath),
                new XElement("TEMPLATE", shared is null ? null : new XElement("SHARED", shared)))).ToString());

    private static XElement Domain(params XElement[] disks) =>
        new("domain", new XElement("name", "one-7"), new XElement("os", new XElement("type", "hvm")), new XElement("devices", disks));

    private static XElement FileDisk(string target, string path, string format) =>
        new("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", format)),
            new XElement("source", new XAttribute("file", path)),
            new XElement("target", new XAttribute("dev", target)));
}
