using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A VM directory in OpenNebula's system datastore layout (&lt;scratch&gt;/datastores/&lt;ds&gt;/&lt;vm_id&gt;),
/// the domains a test deployed, and everything else it made; disposing removes all of it.
/// </summary>
internal sealed class Scratch : IAsyncDisposable
{
    private readonly List<string> _domains = [];
    private readonly List<string> _mounts = [];

    /// <param name="datastores">where the VM directory goes; a node's own (/var/lib/one/datastores) for the root helpers, which accept no other</param>
    public Scratch(string purpose, string? datastores = null)
    {
        Root = TestPaths.NewScratchDirectory(purpose);
        Datastores = datastores ?? Path.Combine(Root, "datastores");
        VmId = TestNames.OneVmId();
        VmDirectory = VmDirectoryIn(0);
        Directory.CreateDirectory(VmDirectory);
    }

    public string Root { get; }

    public int VmId { get; }

    public string Vm => VmId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string Datastores { get; }

    public string VmDirectory { get; }

    public string Checkpoint => Path.Combine(VmDirectory, "checkpoint");

    public string DeploymentFile => Path.Combine(VmDirectory, "deployment.0");

    public string VmDirectoryIn(int datastore) => Path.Combine(Datastores, datastore.ToString(System.Globalization.CultureInfo.InvariantCulture), Vm);

    /// <summary>A domain name to remove at the end, whoever created it.</summary>
    public string Domain(string purpose)
    {
        var name = TestNames.Domain(purpose);
        _domains.Add(name);
        return name;
    }

    public void Owns(string domain) => _domains.Add(domain);

    /// <summary>A diskless domain with OpenNebula's metadata pointing at the VM directory.</summary>
    public DomainXml Diskless(string purpose) =>
        DomainXml.Diskless(Domain(purpose)).WithElement(LifecycleXml.OneMetadata(VmDirectory));

    /// <summary>A diskless BIOS domain with a qcow2 disk in the VM directory, which allows internal snapshots.</summary>
    public async Task<DomainXml> WithQcow2DiskAsync(string purpose)
    {
        var image = Path.Combine(VmDirectory, "disk.0");
        await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
        return Diskless(purpose).WithDevice(LifecycleXml.FileDisk(image, "qcow2", "vda"));
    }

    /// <summary>Makes <paramref name="directory"/> read-only, even for root, until disposal.</summary>
    public async Task MakeReadOnlyAsync(string directory)
    {
        var bind = await ProcessRun.RunAsync("mount", ["--bind", directory, directory]);
        Assert.True(bind.ExitCode == 0, "cannot bind-mount (the test needs root and CAP_SYS_ADMIN): " + bind);
        _mounts.Add(directory);
        var ro = await ProcessRun.RunAsync("mount", ["-o", "remount,ro,bind", directory]);
        Assert.True(ro.ExitCode == 0, "cannot remount read-only: " + ro);
    }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's size=, "512k") over <paramref name="directory"/> until disposal: a small file system to fill.</summary>
    public async Task MountTmpfsAsync(string directory, string size)
    {
        var mount = await ProcessRun.RunAsync("mount", ["-t", "tmpfs", "-o", $"size={size}", "onekvm-t-full", directory]);
        Assert.True(mount.ExitCode == 0, "cannot mount a tmpfs (the test needs root and CAP_SYS_ADMIN): " + mount);
        _mounts.Add(directory);
    }

    public async Task<ProcessResult> StartAsync(DomainXml xml)
    {
        _domains.Add(xml.Name);
        var file = Path.Combine(Root, xml.Name + ".xml");
        await File.WriteAllTextAsync(file, xml.ToString());
        var result = await TestVirsh.RunAsync("create", file);
        Assert.True(result.ExitCode == 0, "virsh create failed: " + result);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var name in _domains)
        {
            await TestDomain.RemoveAsync(name);
        }
        foreach (var mount in _mounts)
        {
            await ProcessRun.RunAsync("umount", [mount]);
        }
        Directory.Delete(Root, recursive: true);
        if (!VmDirectory.StartsWith(Root + "/", StringComparison.Ordinal) && Directory.Exists(VmDirectory))
        {
            Directory.Delete(VmDirectory, recursive: true);
        }
    }
}

/// <summary>The XML the driver gets: action data, OpenNebula's libvirt metadata, disks.</summary>
internal static class LifecycleXml
{
    public const string MetadataUri = "http://opennebula.org/xmlns/libvirt/1.0";

    /// <summary>The action data of the actions that read only the host from it (the snapshot actions).</summary>
    public const string HostOnlyData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    public static XElement OneMetadata(string vmDirectory)
    {
        XNamespace one = MetadataUri;
        return new XElement("metadata",
            new XElement(one + "vm", new XAttribute(XNamespace.Xmlns + "one", MetadataUri),
                new XElement(one + "system_datastore", new XCData(vmDirectory))));
    }

    public static XElement FileDisk(string path, string format, string target) =>
        new("disk", new XAttribute("type", "file"), new XAttribute("device", "disk"),
            new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", format)),
            new XElement("source", new XAttribute("file", path)),
            new XElement("target", new XAttribute("dev", target), new XAttribute("bus", "virtio")));

    /// <summary>&lt;VMM_DRIVER_ACTION_DATA&gt; with the VM id and the system datastore (TM_MAD, template).</summary>
    public static string ActionData(int vmId, string tmMad = "shared", XElement? datastoreTemplate = null) =>
        new XElement("VMM_DRIVER_ACTION_DATA",
            new XElement("HOST", "localhost"),
            new XElement("VM", new XElement("ID", vmId), new XElement("TEMPLATE")),
            new XElement("DATASTORE", new XElement("ID", 0), new XElement("TM_MAD", tmMad), datastoreTemplate ?? new XElement("TEMPLATE")))
            .ToString();
}

/// <summary>Programs a test puts first on PATH: fakes for what the host cannot do on demand.</summary>
internal sealed class FakePrograms : IDisposable
{
    public FakePrograms()
    {
        Directory = TestPaths.NewScratchDirectory("fakebin");
        Log = Path.Combine(Directory, "calls.log");
    }

    public string Directory { get; }

    /// <summary>Each fake appends "name arg arg..." here.</summary>
    public string Log { get; }

    public string[] Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>A virsh that never answers (the fake virsh in hang mode).</summary>
    public FakePrograms WithHangingVirsh() => Write("virsh", $"""
        #!/bin/sh
        export FAKE_VIRSH_MODE=hang FAKE_VIRSH_LOG='{Directory}/fake-virsh.log'
        exec dotnet '{TestPaths.FakeVirshDll}' "$@"

        """);

    /// <summary>The real virsh, recording each call and first sleeping <paramref name="seconds"/> for <paramref name="verb"/>.</summary>
    public FakePrograms WithSlowVirsh(string verb, int seconds) => Write("virsh", $"""
        #!/bin/bash
        echo "virsh $*" >> '{Log}'
        for a in "$@"; do
          if [ "$a" = '{verb}' ]; then sleep {seconds}; echo "virsh $* done" >> '{Log}'; break; fi
        done
        exec /usr/bin/virsh "$@"

        """);

    /// <summary>
    /// The real virsh, recording each call; for <paramref name="verb"/> it records "returned" once the
    /// real one has and only then waits <paramref name="seconds"/> before exiting with its status: libvirt
    /// has done the work while the action still waits, which is when a signal must not lose it.
    /// </summary>
    public FakePrograms WithVirshSlowToReturn(string verb, int seconds) => Write("virsh", $"""
        #!/bin/bash
        echo "virsh $*" >> '{Log}'
        /usr/bin/virsh "$@"
        status=$?
        for a in "$@"; do
          if [ "$a" = '{verb}' ]; then echo "virsh {verb} returned $status" >> '{Log}'; sleep {seconds}; break; fi
        done
        exit $status

        """);

    /// <summary>A sysctl that only records what it was asked (memory cleanup must not hit the shared machine), failing with <paramref name="fails"/> on stderr.</summary>
    public FakePrograms WithRecordingSysctl(string? fails = null) => Write("sysctl", $"""
        #!/bin/sh
        echo "sysctl $*" >> '{Log}'
        {(fails is null ? "exit 0" : $"echo '{fails}' >&2; exit 255")}

        """);

    /// <summary>An rbd keeping images as files under a directory: no Ceph cluster here.</summary>
    public FakePrograms WithRbd(string pool, bool failImport = false) => Write("rbd", $$"""
        #!/bin/bash
        echo "rbd $*" >> '{{Log}}'
        args=()
        while [ $# -gt 0 ]; do
          case "$1" in --id|--conf|--image-format) shift 2 ;; *) args+=("$1"); shift ;; esac
        done
        img() { echo "{{pool}}/${1//\//%}"; }
        case "${args[0]}" in
          import) {{(failImport ? "echo 'rbd: import failed: (28) No space left on device' >&2; exit 1" : "")}}
                  [ -e "$(img "${args[2]}")" ] && { echo "rbd: image already exists" >&2; exit 1; }
                  cp "${args[1]}" "$(img "${args[2]}")" ;;
          export) [ -e "$(img "${args[1]}")" ] || { echo "rbd: error opening image: (2) No such file or directory" >&2; exit 1; }
                  [ -e "${args[2]}" ] && { echo "rbd: export error: (17) File exists" >&2; exit 1; }
                  cp "$(img "${args[1]}")" "${args[2]}" ;;
          rm)     rm "$(img "${args[1]}")" ;;
          *)      echo "rbd: unknown command ${args[0]}" >&2; exit 1 ;;
        esac

        """);

    private FakePrograms Write(string name, string script)
    {
        var path = Path.Combine(Directory, name);
        ExecutableFile.Write(path, script);
        return this;
    }

    public async Task<bool> WaitForCallAsync(string fragment, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Calls.Any(c => c.Contains(fragment, StringComparison.Ordinal)))
            {
                return true;
            }
            await Task.Delay(100);
        }
        return false;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

/// <summary>A copy of the staged remotes tree that a test may add hooks and configuration to.</summary>
internal sealed class RemotesCopy : IDisposable
{
    public RemotesCopy()
    {
        Root = TestPaths.NewScratchDirectory("remotes");
        var copy = ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes + "/.", Root]).GetAwaiter().GetResult();
        Assert.True(copy.ExitCode == 0, "cannot copy the staged remotes tree: " + copy);
    }

    public string Root { get; }

    public Driver Driver => Driver.Staged.WithRemotes(Root);

    /// <summary>A hook beside the entries that records its argv and stdin, runs <paramref name="body"/>, and exits with its status.</summary>
    public string AddHook(string name, string body = "exit 0")
    {
        var path = Path.Combine(Root, "vmm", "kvm", name);
        ExecutableFile.Write(path, $"""
            #!/bin/bash
            printf '%s\n' "$@" > '{path}.args'
            cat > '{path}.stdin'
            {body}

            """);
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
