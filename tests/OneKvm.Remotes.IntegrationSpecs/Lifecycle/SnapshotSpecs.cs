using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// System snapshots of real domains with a qcow2 disk (libvirt refuses internal snapshots of
/// diskless ones), and their metadata files in the VM directory across redeploy and save/restore.
/// </summary>
public sealed class SnapshotSpecs
{
    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    [Fact]
    public async Task Creating_a_snapshot_answers_its_name_and_keeps_its_metadata_in_the_vm_directory()
    {
        await using var scratch = new Scratch("snap-create");
        var xml = await scratch.WithQcow2DiskAsync("create");
        await scratch.StartAsync(xml);

        var result = await Create(xml.Name, "3");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("snap-3\n", result.Stdout);
        Assert.Equal(["snap-3"], await SnapshotNamesAsync(xml.Name));
        var metadata = XElement.Parse(await File.ReadAllTextAsync(Path.Combine(scratch.VmDirectory, "snap-3.xml")));
        Assert.Equal("snap-3", (string?)metadata.Element("name"));
    }

    [Fact]
    public async Task Reverting_goes_back_to_the_snapshot()
    {
        await using var scratch = new Scratch("snap-revert");
        var xml = await scratch.WithQcow2DiskAsync("revert");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Create(xml.Name, "0"));
        ProtocolAssert.Succeeded(await Create(xml.Name, "1"));

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_revert", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("snap-0", (await TestVirsh.CheckedAsync("snapshot-current", "--name", xml.Name)).Trim());
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task Deleting_a_snapshot_removes_its_metadata_and_rewrites_the_others()
    {
        await using var scratch = new Scratch("snap-delete");
        var xml = await scratch.WithQcow2DiskAsync("delete");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Create(xml.Name, "0"));
        ProtocolAssert.Succeeded(await Create(xml.Name, "1"));
        var child = Path.Combine(scratch.VmDirectory, "snap-1.xml");
        Assert.Equal("snap-0", ParentOf(await File.ReadAllTextAsync(child)));

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_delete", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(["snap-1"], await SnapshotNamesAsync(xml.Name));
        Assert.False(File.Exists(Path.Combine(scratch.VmDirectory, "snap-0.xml")));
        Assert.Null(ParentOf(await File.ReadAllTextAsync(child)));
    }

    [Fact]
    public async Task A_redeployed_domain_gets_its_snapshots_back_in_numeric_order_under_its_new_uuid()
    {
        await using var scratch = new Scratch("snap-redeploy");
        var xml = await scratch.WithQcow2DiskAsync("redeploy");
        ProtocolAssert.Succeeded(await Deploy(scratch, xml));
        ProtocolAssert.Succeeded(await Create(xml.Name, "2"));
        ProtocolAssert.Succeeded(await Create(xml.Name, "10")); // a child of snap-2: `ls` would redefine it first
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("cancel", ActionData, xml.Name, "localhost", scratch.Vm, "localhost"));

        var result = await Deploy(scratch, xml);

        ProtocolAssert.Succeeded(result);
        Assert.Equal(["snap-2", "snap-10"], await SnapshotNamesAsync(xml.Name, "--topological"));
        Assert.Equal("snap-2", (await TestVirsh.CheckedAsync("snapshot-parent", "--domain", xml.Name, "--snapshotname", "snap-10")).Trim());
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("snapshot_revert", ActionData, xml.Name, "snap-2", scratch.Vm, "localhost"));
    }

    [Fact]
    public async Task A_restored_domain_gets_its_snapshots_back()
    {
        await using var scratch = new Scratch("snap-restore");
        var xml = await scratch.WithQcow2DiskAsync("restore");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Create(xml.Name, "0"));
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost"));

        var result = await Driver.Staged.WithKvmrc("SYNC_TIME=no\n").RunWithStdinAsync("restore", LifecycleXml.ActionData(scratch.VmId),
            scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(["snap-0"], await SnapshotNamesAsync(xml.Name));
    }

    [Fact]
    public async Task A_diskless_domain_cannot_be_snapshotted_and_says_why()
    {
        await using var scratch = new Scratch("snap-diskless");
        var xml = scratch.Diskless("diskless");
        await scratch.StartAsync(xml);

        var result = await Create(xml.Name, "0");

        Assert.StartsWith($"Could not create snapshot snap-0 of domain {xml.Name}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.False(File.Exists(Path.Combine(scratch.VmDirectory, "snap-0.xml")));
    }

    [Fact]
    public async Task Snapshotting_a_missing_domain_is_a_clear_error()
    {
        var name = TestNames.Domain("missing");

        var result = await Create(name, "0");

        Assert.Equal($"Could not create snapshot snap-0 of domain {name}: failed to get domain '{name}'.", ProtocolAssert.Failed(result));
    }

    [Theory]
    [InlineData("snapshot_revert", "Could not revert domain {0} to snapshot snap-0: failed to get domain '{0}'.")]
    [InlineData("snapshot_delete", "Could not delete snapshot snap-0 of domain {0}: failed to get domain '{0}'.")]
    public async Task Reverting_or_deleting_a_snapshot_of_a_missing_domain_is_a_clear_error(string action, string sentence)
    {
        var name = TestNames.Domain("missing");

        var result = await Driver.Staged.RunWithStdinAsync(action, ActionData, name, "snap-0", "7", "localhost");

        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, sentence, name), ProtocolAssert.Failed(result));
    }

    [Theory]
    [InlineData("snapshot-create-as")]
    [InlineData("snapshot-revert")]
    public async Task Snapshots_that_move_guest_memory_are_not_cut_by_virsh_timeout(string verb)
    {
        await using var scratch = new Scratch("snap-slow");
        var xml = await scratch.WithQcow2DiskAsync("slow");
        await scratch.StartAsync(xml);
        ProtocolAssert.Succeeded(await Create(xml.Name, "0"));
        using var fakes = new FakePrograms().WithSlowVirsh(verb, seconds: 4);
        var driver = Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=1\n").WithPathFirst(fakes.Directory);

        var result = verb == "snapshot-revert"
            ? await driver.RunWithStdinAsync("snapshot_revert", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost")
            : await driver.RunWithStdinAsync("snapshot_create", ActionData, xml.Name, "1", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(fakes.Calls, c => c.Contains(verb, StringComparison.Ordinal) && c.EndsWith(" done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Reverting_to_an_unknown_snapshot_is_a_clear_error()
    {
        await using var scratch = new Scratch("snap-unknown");
        var xml = await scratch.WithQcow2DiskAsync("unknown");
        await scratch.StartAsync(xml);

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_revert", ActionData, xml.Name, "snap-9", scratch.Vm, "localhost");

        Assert.StartsWith($"Could not revert domain {xml.Name} to snapshot snap-9: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task Deleting_a_snapshot_of_a_domain_without_opennebula_metadata_fails_and_deletes_nothing()
    {
        await using var scratch = new Scratch("snap-nometa");
        var image = Path.Combine(scratch.VmDirectory, "disk.0");
        await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
        var xml = DomainXml.Diskless(scratch.Domain("nometa")).WithDevice(LifecycleXml.FileDisk(image, "qcow2", "vda"));
        await scratch.StartAsync(xml);
        await TestVirsh.CheckedAsync("snapshot-create-as", "--domain", xml.Name, "--name", "snap-0");

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_delete", ActionData, xml.Name, "snap-0", scratch.Vm, "localhost");

        Assert.Equal($"Could not delete snapshot snap-0 of domain {xml.Name}: the domain has no OpenNebula system_datastore metadata.",
            ProtocolAssert.Failed(result));
        Assert.Equal(["snap-0"], await SnapshotNamesAsync(xml.Name));
    }

    [Fact]
    public async Task A_hanging_virsh_is_stopped_by_virsh_timeout()
    {
        using var fakes = new FakePrograms().WithHangingVirsh();
        var name = TestNames.Domain("hang");

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=2\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("snapshot_create", ActionData, name, "0", "7", "localhost");

        Assert.Equal($"Could not create snapshot snap-0 of domain {name}: virsh metadata did not finish within 2 s (VIRSH_TIMEOUT) and was killed.",
            ProtocolAssert.Failed(result));
        Assert.Equal("", result.Stdout);
    }

    private static Task<ProcessResult> Create(string domain, string id) =>
        Driver.Staged.RunWithStdinAsync("snapshot_create", ActionData, domain, id, "7", "localhost");

    private static Task<ProcessResult> Deploy(Scratch scratch, DomainXml xml) =>
        Driver.Staged.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

    private static async Task<string[]> SnapshotNamesAsync(string domain, params string[] options) =>
        (await TestVirsh.CheckedAsync(["snapshot-list", "--domain", domain, "--name", .. options]))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string? ParentOf(string snapshotXml) =>
        (string?)XElement.Parse(snapshotXml).Element("parent")?.Element("name");
}
