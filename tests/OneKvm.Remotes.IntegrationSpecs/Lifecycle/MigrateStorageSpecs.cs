using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>One peer that is really another host (its own name, datastore and sshd), started once for the class.</summary>
public sealed class NonSharedHosts : IAsyncLifetime
{
    private PeerHost? _b;

    /// <summary>Where this host keeps its system datastores (the peer has its own files behind the same path).</summary>
    public string Datastores { get; } = TestPaths.NewScratchDirectory("datastores");

    public PeerHost B => _b ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _b = await PeerHost.StartAsync("b", Datastores);

    public async Task DisposeAsync()
    {
        if (_b is not null)
        {
            await _b.DisposeAsync();
        }
    }
}

/// <summary>
/// Live migrations when the system datastore is not shared (TM_MAD ssh, SHARED=NO, OpenNebula's
/// default): the destination is another host with its own datastore, reached by libvirt over
/// TCP and by ssh with a key, as a real node is. The VM's files must arrive there, the disks
/// copied live, and a failure must leave the VM running here with nothing left there.
/// </summary>
public sealed class MigrateStorageSpecs(NonSharedHosts hosts) : IClassFixture<NonSharedHosts>
{
    private const string Kvmrc = "QEMU_PROTOCOL=qemu+tcp\n";

    private static Driver Driver => Driver.Staged.WithKvmrc(Kvmrc);

    private PeerHost B => hosts.B;

    [Fact]
    public async Task Every_file_of_a_vm_on_a_local_datastore_arrives_on_the_other_host_and_it_runs_there()
    {
        await using var vm = await LocalVm.CreateAsync(hosts, "ns-files");
        await vm.AddQcow2DiskAsync("vda", 0, "64M", written: "4M");
        await vm.AddRawDiskAsync("vdb", 1, "32M", written: "2M");
        await vm.AddChainDiskAsync("vdc", 2);
        await vm.AddCdromAsync("hda", 3);
        await File.WriteAllTextAsync(Path.Combine(vm.Directory, "vm.xml"), "<VM><ID>1</ID></VM>");
        await File.WriteAllTextAsync(Path.Combine(vm.Directory, "deployment.0"), vm.Xml.ToString());
        await vm.StartAsync();

        var result = await Driver.RunWithStdinAsync("migrate", vm.ActionData(), vm.Name, B.Name, "localhost", vm.Id, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await B.StateAsync(vm.Name));
        Assert.Null(await TestVirsh.StateAsync(vm.Name));
        foreach (var file in new[] { "disk.0", "disk.1", "disk.2.snap/0", "disk.2.snap/1", "disk.3", "vm.xml", "deployment.0" })
        {
            await AssertSameContentAsync(Path.Combine(vm.Directory, file), B.Own(Path.Combine(vm.Directory, file)));
        }
        Assert.Equal("disk.2.snap/1", new FileInfo(B.Own(Path.Combine(vm.Directory, "disk.2"))).LinkTarget);
        // the top layer keeps its backing file, by the same relative name
        Assert.Contains("\"backing-filename\": \"0\"", await InfoAsync(B.Own(Path.Combine(vm.Directory, "disk.2.snap/1"))));
        // holes stay holes: 2 MiB written of a 32 MiB raw disk
        Assert.True(AllocatedBytes(B.Own(Path.Combine(vm.Directory, "disk.1"))) < 8L << 20,
            $"the raw disk was written whole on {B.Name}: {AllocatedBytes(B.Own(Path.Combine(vm.Directory, "disk.1")))} bytes");
        Assert.Contains($"Copying 3 disk(s) of {vm.Name} live (vda {vm.File("disk.0")}, vdb {vm.File("disk.1")}, vdc {vm.File("disk.2.snap/1")})",
            result.Stderr);
    }

    // ------------------------------------------------------------------ helpers

    private static async Task AssertSameContentAsync(string source, string destination)
    {
        Assert.True(File.Exists(destination), $"{destination} did not arrive");
        if (source.Contains("disk.", StringComparison.Ordinal) && !source.EndsWith("disk.3", StringComparison.Ordinal))
        {
            var compare = await ProcessRun.RunAsync("qemu-img", ["compare", "-U", source, destination]);
            Assert.True(compare.ExitCode == 0, $"{destination} differs from {source}: {compare}");
        }
        else
        {
            Assert.Equal(await Md5Async(source), await Md5Async(destination));
        }
    }

    private static async Task<string> InfoAsync(string image) =>
        (await ProcessRun.RunAsync("qemu-img", ["info", "-U", "--output=json", image])).Stdout;

    private static long AllocatedBytes(string file)
    {
        var du = ProcessRun.RunAsync("du", ["-B1", "--", file]).GetAwaiter().GetResult();
        return long.Parse(du.Stdout.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    internal static async Task<string> Md5Async(string file)
    {
        await using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(await MD5.HashDataAsync(stream));
    }
}

/// <summary>A VM in a (non-shared) system datastore of this host: its directory, disks and domain.</summary>
internal sealed class LocalVm : IAsyncDisposable
{
    private readonly NonSharedHosts _hosts;

    private LocalVm(NonSharedHosts hosts, string name, int datastore, DomainXml xml)
    {
        _hosts = hosts;
        Name = name;
        VmId = TestNames.OneVmId();
        Datastore = datastore;
        Directory = Path.Combine(hosts.Datastores, datastore.ToString(CultureInfo.InvariantCulture), Id);
        System.IO.Directory.CreateDirectory(Directory);
        Xml = xml.WithElement(LifecycleXml.OneMetadata(Directory));
    }

    public string Name { get; }

    public int VmId { get; }

    public string Id => VmId.ToString(CultureInfo.InvariantCulture);

    public int Datastore { get; }

    public string Directory { get; }

    public DomainXml Xml { get; private set; }

    public static Task<LocalVm> CreateAsync(NonSharedHosts hosts, string purpose, int datastore = 0, DomainXml? xml = null)
    {
        var name = TestNames.Domain(purpose);
        return Task.FromResult(new LocalVm(hosts, name, datastore, xml?.WithName(name) ?? DomainXml.Diskless(name)));
    }

    public string File(string name) => Path.Combine(Directory, name);

    /// <summary>A qcow2 disk.N with <paramref name="written"/> bytes of a pattern at its start.</summary>
    public async Task AddQcow2DiskAsync(string target, int id, string size, string written)
    {
        var image = File($"disk.{id}");
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", image, size);
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", $"write -P 0x5a 0 {written}", image);
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(image, "qcow2", target));
    }

    /// <summary>A sparse raw disk.N with <paramref name="written"/> bytes of random data at 1 MiB.</summary>
    public async Task AddRawDiskAsync(string target, int id, string size, string written)
    {
        var image = File($"disk.{id}");
        await CheckedAsync("qemu-img", "create", "-q", "-f", "raw", image, size);
        if (written != "0")
        {
            await CheckedAsync("dd", "if=/dev/urandom", $"of={image}", "bs=1M", "seek=1", $"count={written.TrimEnd('M')}", "conv=notrunc",
                "status=none");
        }
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(image, "raw", target));
    }

    /// <summary>disk.N as qcow2 snapshots make it: disk.N.snap/0 (base) &lt;- disk.N.snap/1 (top), disk.N a symlink to the top.</summary>
    public async Task AddChainDiskAsync(string target, int id)
    {
        var snaps = File($"disk.{id}.snap");
        System.IO.Directory.CreateDirectory(snaps);
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", Path.Combine(snaps, "0"), "32M");
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x11 0 1M", Path.Combine(snaps, "0"));
        await CheckedAsync("qemu-img", "create", "-q", "-f", "qcow2", "-b", "0", "-F", "qcow2", Path.Combine(snaps, "1"));
        await CheckedAsync("qemu-io", "-f", "qcow2", "-c", "write -P 0x22 1M 1M", Path.Combine(snaps, "1"));
        System.IO.File.CreateSymbolicLink(File($"disk.{id}"), $"disk.{id}.snap/1");
        // deploy hands libvirt the symlink's target (a relative backing file resolves from there)
        Xml = Xml.WithDevice(LifecycleXml.FileDisk(Path.Combine(snaps, "1"), "qcow2", target));
    }

    /// <summary>A read-only CD-ROM (as the context ISO is).</summary>
    public async Task AddCdromAsync(string target, int id)
    {
        var iso = File($"disk.{id}");
        await CheckedAsync("dd", "if=/dev/urandom", $"of={iso}", "bs=64k", "count=6", "status=none");
        Xml = Xml.WithDevice(new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
            new XElement("source", new XAttribute("file", iso)),
            new XElement("target", new XAttribute("dev", target), new XAttribute("bus", "ide")),
            new XElement("readonly")));
    }

    public async Task StartAsync()
    {
        var file = Path.Combine(TestPaths.RunDirectory, Name + ".xml");
        await System.IO.File.WriteAllTextAsync(file, Xml.ToString());
        var result = await TestVirsh.RunAsync("create", file);
        Assert.True(result.ExitCode == 0, "virsh create failed: " + result);
    }

    /// <summary>What oned sends: the datastore the VM leaves (not shared) and the directory it goes to.</summary>
    public string ActionData(int? targetDatastore = null) =>
        new XElement("VMM_DRIVER_ACTION_DATA",
            new XElement("HOST", "localhost"),
            new XElement("DEPLOY_ID", Name),
            new XElement("DISK_TARGET_PATH",
                Path.Combine(_hosts.Datastores, (targetDatastore ?? Datastore).ToString(CultureInfo.InvariantCulture), Id)),
            new XElement("VM", new XElement("ID", VmId), new XElement("TEMPLATE")),
            new XElement("DATASTORE", new XElement("ID", Datastore), new XElement("NAME", "system"), new XElement("TM_MAD", "ssh"),
                new XElement("BASE_PATH", Path.Combine(_hosts.Datastores, Datastore.ToString(CultureInfo.InvariantCulture))),
                new XElement("TEMPLATE", new XElement("SHARED", "NO"), new XElement("TM_MAD", "ssh"))))
            .ToString();

    public async ValueTask DisposeAsync()
    {
        await TestDomain.RemoveAsync(Name);
        await _hosts.B.RemoveAsync(Name);
        await _hosts.B.InsideAsync("rm", "-rf", "--", Directory);
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static async Task CheckedAsync(string program, params string[] args)
    {
        var r = await ProcessRun.RunAsync(program, args);
        Assert.True(r.ExitCode == 0, $"{program} {string.Join(' ', args)} failed: {r}");
    }
}
