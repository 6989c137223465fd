using System.Globalization;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// onekvm killed with SIGKILL at every step of an action, against the real libvirtd and real
/// domains: a dry run records the virsh calls the action makes, then for each call N a fresh
/// domain is prepared and onekvm dies right before call N and, on another fresh domain, right
/// after it (libvirt did the work, onekvm never heard). Right after the kill nothing may be lost
/// (a checkpoint not yet restored, an older checkpoint, the domain itself); then the same action
/// is run again, as oned would, and must succeed and leave the domain as one uninterrupted run would.
/// Diskless domains (no guest OS): every step is about libvirt and files, not the guest.
/// </summary>
public sealed class KilledActionSpecs(ITestOutputHelper output)
{
    private static readonly byte[] OlderCheckpoint = "an older checkpoint, never to be overwritten\n"u8.ToArray();
    private static readonly XElement ScsiController = new("controller", new XAttribute("type", "scsi"), new XAttribute("model", "virtio-scsi"));

    [Fact]
    public Task A_save_killed_at_any_step_loses_neither_the_domain_nor_the_older_checkpoint_and_succeeds_when_run_again() =>
        KillAtEveryStepAsync(new KillCase("save",
            async scratch =>
            {
                var xml = scratch.Diskless("save");
                await scratch.StartAsync(xml);
                await File.WriteAllBytesAsync(scratch.Checkpoint, OlderCheckpoint);
                return new Invocation(xml.Name, LifecycleXml.ActionData(scratch.VmId),
                    [xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"]);
            },
            async (scratch, run) =>
            {
                AssertOlderCheckpointKept(scratch);
                if (await TestVirsh.StateAsync(run.Domain) is null)
                {
                    await AssertSaveImageOfAsync(scratch.Checkpoint, run.Domain);
                }
            },
            async (scratch, run, _) =>
            {
                Assert.Null(await TestVirsh.StateAsync(run.Domain));
                await AssertSaveImageOfAsync(scratch.Checkpoint, run.Domain);
                AssertOlderCheckpointKept(scratch);
            }));

    [Fact]
    public Task A_restore_killed_at_any_step_keeps_the_checkpoint_until_the_domain_runs_and_succeeds_when_run_again() =>
        KillAtEveryStepAsync(new KillCase("restore",
            async scratch =>
            {
                var xml = scratch.Diskless("restore");
                await scratch.StartAsync(xml);
                ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
                    xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));
                return new Invocation(xml.Name, LifecycleXml.ActionData(scratch.VmId),
                    [scratch.Checkpoint, "localhost", xml.Name, scratch.Vm, "localhost"]);
            },
            async (scratch, run) =>
            {
                if (await TestVirsh.StateAsync(run.Domain) != "running")
                {
                    await AssertSaveImageOfAsync(scratch.Checkpoint, run.Domain);
                }
            },
            async (scratch, run, _) =>
            {
                Assert.Equal("running", await TestVirsh.StateAsync(run.Domain));
                Assert.False(File.Exists(scratch.Checkpoint), "the checkpoint of a running domain is left behind");
            }));

    [Fact]
    public Task A_snapshot_create_killed_at_any_step_succeeds_when_run_again_with_the_snapshot_and_its_metadata() =>
        KillAtEveryStepAsync(new KillCase("snapshot_create",
            async scratch =>
            {
                var xml = await scratch.WithQcow2DiskAsync("snapc");
                await scratch.StartAsync(xml);
                return new Invocation(xml.Name, LifecycleXml.HostOnlyData, [xml.Name, "0", scratch.Vm, "localhost"]);
            },
            async (_, run) => Assert.Equal("running", await TestVirsh.StateAsync(run.Domain)),
            async (scratch, run, result) =>
            {
                Assert.Equal("snap-0\n", result.Stdout);
                Assert.Equal(["snap-0"], await SnapshotNamesAsync(run.Domain));
                AssertSnapshotFile(scratch, "snap-0");
            }));

    [Fact]
    public Task A_snapshot_delete_killed_at_any_step_succeeds_when_run_again_and_leaves_no_metadata_of_the_deleted_snapshot() =>
        KillAtEveryStepAsync(new KillCase("snapshot_delete",
            async scratch =>
            {
                var xml = await scratch.WithQcow2DiskAsync("snapd");
                await scratch.StartAsync(xml);
                ProtocolAssert.Succeeded(await CreateSnapshotAsync(scratch, xml.Name, "0"));
                ProtocolAssert.Succeeded(await CreateSnapshotAsync(scratch, xml.Name, "1"));
                return new Invocation(xml.Name, LifecycleXml.HostOnlyData, [xml.Name, "snap-0", scratch.Vm, "localhost"]);
            },
            async (scratch, run) =>
            {
                Assert.Contains("snap-1", await SnapshotNamesAsync(run.Domain));
                AssertSnapshotFile(scratch, "snap-1");
            },
            async (scratch, run, _) =>
            {
                Assert.Equal(["snap-1"], await SnapshotNamesAsync(run.Domain));
                Assert.False(File.Exists(Path.Combine(scratch.VmDirectory, "snap-0.xml")), "the deleted snapshot's metadata is left behind");
                AssertSnapshotFile(scratch, "snap-1");
            }));

    [Fact]
    public Task A_snapshot_revert_killed_at_any_step_succeeds_when_run_again() =>
        KillAtEveryStepAsync(new KillCase("snapshot_revert",
            async scratch =>
            {
                var xml = await scratch.WithQcow2DiskAsync("snapr");
                await scratch.StartAsync(xml);
                ProtocolAssert.Succeeded(await CreateSnapshotAsync(scratch, xml.Name, "0"));
                return new Invocation(xml.Name, LifecycleXml.HostOnlyData, [xml.Name, "snap-0", scratch.Vm, "localhost"]);
            },
            async (_, run) => Assert.Contains("snap-0", await SnapshotNamesAsync(run.Domain)),
            async (_, run, _) =>
            {
                Assert.Equal("running", await TestVirsh.StateAsync(run.Domain));
                Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-current", "--domain", run.Domain, "--name")).Trim());
            }));

    [Fact]
    public Task An_attach_disk_killed_at_any_step_succeeds_when_run_again_with_the_disk_attached_once() =>
        KillAtEveryStepAsync(new KillCase("attach_disk",
            async scratch =>
            {
                var xml = scratch.Diskless("attach").WithDevice(ScsiController);
                await scratch.StartAsync(xml);
                var image = await DiskImageAsync(scratch);
                return new Invocation(xml.Name, DiskData(scratch.VmId), [xml.Name, image, "sdc", "2", "b64", scratch.Vm, "localhost"]);
            },
            async (_, run) => Assert.InRange((await DisksAsync(run.Domain, "sdc")).Length, 0, 1),
            async (scratch, run, _) =>
            {
                var disk = Assert.Single(await DisksAsync(run.Domain, "sdc"));
                Assert.Equal(run.Args[1], (string?)disk.Element("source")?.Attribute("file"));
            }));

    [Fact]
    public Task A_detach_disk_killed_at_any_step_succeeds_when_run_again_with_the_disk_gone() =>
        KillAtEveryStepAsync(new KillCase("detach_disk",
            async scratch =>
            {
                var xml = scratch.Diskless("detach").WithDevice(ScsiController);
                await scratch.StartAsync(xml);
                var image = await DiskImageAsync(scratch);
                ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("attach_disk", DiskData(scratch.VmId),
                    xml.Name, image, "sdc", "2", "b64", scratch.Vm, "localhost"));
                return new Invocation(xml.Name, DiskData(scratch.VmId), [xml.Name, image, "sdc", "2", scratch.Vm, "localhost"]);
            },
            async (_, run) => Assert.Equal("running", await TestVirsh.StateAsync(run.Domain)),
            async (_, run, _) => Assert.Empty(await DisksAsync(run.Domain, "sdc"))));

    [Fact]
    public Task A_memory_hotplug_resize_killed_at_any_step_ends_at_the_asked_size_when_run_again_never_above() =>
        KillAtEveryStepAsync(new KillCase("resize",
            async scratch =>
            {
                var xml = scratch.Diskless("resize").Transform(d =>
                {
                    d.Add(new XElement("maxMemory", new XAttribute("slots", 4), new XAttribute("unit", "MiB"), 1024));
                    d.Add(new XElement("cpu", new XElement("numa", new XElement("cell", new XAttribute("id", 0), new XAttribute("cpus", "0"),
                        new XAttribute("memory", 64), new XAttribute("unit", "MiB")))));
                });
                await scratch.StartAsync(xml);
                var data = VmDocument.Create(scratch.VmId).WithTemplateValue("VCPU", 1).WithTemplateValue("MEMORY", 192)
                    .WithTemplateValue("MEMORY_RESIZE_MODE", "HOTPLUG").With(VmDocument.Vector("RESIZE", ("VCPU", 1), ("MEMORY", 64))).ToString();
                return new Invocation(xml.Name, data, [xml.Name, scratch.Vm, "localhost"]);
            },
            async (_, run) => Assert.Contains(await MemoryMiBAsync(run.Domain), new long[] { 64, 192 }),
            async (_, run, _) => Assert.Equal(192, await MemoryMiBAsync(run.Domain))));

    private async Task KillAtEveryStepAsync(KillCase c)
    {
        string[] steps;
        await using (var dry = new Scratch($"kill-{c.Action}-dry"))
        {
            var run = await c.PrepareAsync(dry);
            using var virsh = new KillingVirsh(0, KillMoment.Never);
            var result = await RunAsync(c.Action, run, virsh);
            ProtocolAssert.Succeeded(result);
            await c.DoneAsync(dry, run, result);
            steps = virsh.Calls;
        }
        Assert.NotEmpty(steps);
        output.WriteLine($"{c.Action}: {steps.Length} virsh calls: {string.Join(" | ", steps.Select(Verb))}");

        var failures = new KillPointFailures(output);
        foreach (var (n, verb, moment, when) in KillingVirsh.Points([.. steps.Select(Verb)], LongVerbs))
        {
            var label = $"{c.Action} killed {when} call {n} ({verb})";
            await using var scratch = new Scratch($"kill-{c.Action}-{n}{when[0]}");
            var run = await c.PrepareAsync(scratch);
            using var virsh = new KillingVirsh(n, moment);
            var killed = await RunAsync(c.Action, run, virsh);
            if (!virsh.Killed)
            {
                failures.Add(label, $"the call was not reached this time; calls: {string.Join(" | ", virsh.Calls.Select(Verb))}; {killed}");
                continue;
            }
            ProcessResult? again = null;
            try
            {
                // the virsh call onekvm left lives as long as libvirt's job, then ends: no orphan stays
                label += await virsh.AssertKilledAsync(killed, moment);
                await c.AfterKillAsync(scratch, run);
                again = await RunAsync(c.Action, run, null);
                ProtocolAssert.Succeeded(again);
                await c.DoneAsync(scratch, run, again);
                output.WriteLine($"{label}: held; run again: {FirstInfo(again)}");
            }
            catch (XunitException e)
            {
                failures.Add(label, e, killed, "run again", again);
            }
        }
        failures.AssertNone();
    }

    /// <summary>The calls that last (libvirt writes or reads the guest's memory or disks, or waits on QEMU): killed while they run too.</summary>
    private static readonly string[] LongVerbs = ["save", "restore", "snapshot-create-as", "snapshot-delete", "snapshot-revert", "attach-device", "detach-disk", "detach-device"];

    private static Task<ProcessResult> RunAsync(string action, Invocation run, KillingVirsh? virsh)
    {
        var driver = Driver.Staged.WithKvmrc("SYNC_TIME=no\n");
        return (virsh is null ? driver : driver.WithPathFirst(virsh.Directory)).RunWithStdinAsync(action, run.Stdin, run.Args);
    }

    private static string Verb(string call) => call.Split(' ').FirstOrDefault(w => !w.StartsWith('-') && w.Length > 0 && !w.Contains("://", StringComparison.Ordinal)
        && w != "qemu:///system") ?? call;

    private static string FirstInfo(ProcessResult result) =>
        ProtocolAssert.LogLines(result, "INFO").FirstOrDefault() ?? "(no INFO line)";

    private static void AssertOlderCheckpointKept(Scratch scratch) =>
        Assert.True(Directory.GetFiles(scratch.VmDirectory, "checkpoint*").Any(f => File.ReadAllBytes(f).AsSpan().SequenceEqual(OlderCheckpoint)),
            "the older checkpoint is gone: " + string.Join(", ", Directory.GetFiles(scratch.VmDirectory).Select(Path.GetFileName)));

    private static async Task AssertSaveImageOfAsync(string file, string domain)
    {
        var dump = await TestVirsh.RunAsync("save-image-dumpxml", "--file", file);
        Assert.True(dump.ExitCode == 0, $"the domain is gone and {file} is no complete save image: {dump}");
        Assert.Equal(domain, (string?)XElement.Parse(dump.Stdout).Element("name"));
    }

    private static void AssertSnapshotFile(Scratch scratch, string name)
    {
        var file = Path.Combine(scratch.VmDirectory, name + ".xml");
        Assert.True(File.Exists(file), $"{name}.xml is missing");
        Assert.Equal(name, (string?)XElement.Parse(File.ReadAllText(file)).Element("name"));
    }

    private static Task<ProcessResult> CreateSnapshotAsync(Scratch scratch, string domain, string id) =>
        Driver.Staged.RunWithStdinAsync("snapshot_create", LifecycleXml.HostOnlyData, domain, id, scratch.Vm, "localhost");

    private static async Task<string[]> SnapshotNamesAsync(string domain) =>
        (await TestVirsh.CheckedAsync("snapshot-list", "--domain", domain, "--name"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string DiskData(int vmId) =>
        VmDocument.Create(vmId).With(VmDocument.Vector("DISK", ("ATTACH", "YES"), ("DISK_ID", 2), ("TYPE", "FILE"), ("DRIVER", "qcow2"), ("TARGET", "sdc"))).ToString();

    private static async Task<string> DiskImageAsync(Scratch scratch)
    {
        var image = Path.Combine(scratch.VmDirectory, "disk.2");
        var created = await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
        Assert.True(created.ExitCode == 0, "qemu-img create failed: " + created);
        return image;
    }

    private static async Task<XElement[]> DisksAsync(string domain, string target) =>
        [.. XElement.Parse(await TestVirsh.DumpXmlAsync(domain)).Element("devices")!.Elements("disk")
            .Where(d => (string?)d.Element("target")?.Attribute("dev") == target)];

    private static async Task<long> MemoryMiBAsync(string domain) =>
        long.Parse(XElement.Parse(await TestVirsh.DumpXmlAsync(domain)).Element("memory")!.Value, CultureInfo.InvariantCulture) / 1024;

    private sealed record Invocation(string Domain, string Stdin, string[] Args);

    /// <param name="PrepareAsync">Makes a fresh domain (and files) for one kill; answers how the action is run.</param>
    /// <param name="AfterKillAsync">What must hold right after the kill: nothing lost.</param>
    /// <param name="DoneAsync">What must hold after a successful run (the dry run, and the run again after a kill).</param>
    private sealed record KillCase(string Action, Func<Scratch, Task<Invocation>> PrepareAsync, Func<Scratch, Invocation, Task> AfterKillAsync,
        Func<Scratch, Invocation, ProcessResult, Task> DoneAsync);
}
