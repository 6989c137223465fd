using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using System.Xml.Linq;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// save and restore on a ceph system datastore: the staged save.ceph and restore.ceph
/// hooks move the checkpoint into and out of RBD. There is no Ceph cluster here, so rbd is
/// a fake that keeps images as files; libvirt, QEMU and the domain are real.
/// </summary>
public sealed class CephHookSpecs
{
    [Fact]
    public async Task Saving_and_restoring_on_a_ceph_datastore_moves_the_checkpoint_through_rbd()
    {
        await using var scratch = new Scratch("ceph");
        var pool = Directory.CreateDirectory(Path.Combine(scratch.Root, "pool")).FullName;
        using var fakes = new FakePrograms().WithRbd(pool);
        var xml = scratch.Diskless("ceph");
        await scratch.StartAsync(xml);
        var data = LifecycleXml.ActionData(scratch.VmId, tmMad: "ceph", datastoreTemplate: new XElement("TEMPLATE",
            new XElement("POOL_NAME", "onepool"), new XElement("CEPH_USER", "libvirt"), new XElement("RBD_FORMAT", "2")));
        var driver = Driver.Staged.WithKvmrc("SYNC_TIME=no\n").WithPathFirst(fakes.Directory);
        var image = $"onepool/one-sys-{scratch.Vm}-checkpoint";

        var save = await driver.RunWithStdinAsync("save", data, xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(save);
        Assert.Equal([$"rbd --id libvirt import --image-format 2 {scratch.Checkpoint} {image}"], fakes.Calls);
        Assert.False(File.Exists(scratch.Checkpoint));
        Assert.Null(await TestVirsh.StateAsync(xml.Name));

        var restore = await driver.RunWithStdinAsync("restore", data, scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(restore);
        Assert.StartsWith($"rbd --id libvirt export {image} ", fakes.Calls[1], StringComparison.Ordinal);
        Assert.Equal($"rbd --id libvirt rm {image}", fakes.Calls[2]);
        Assert.Empty(Directory.GetFiles(pool));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.False(File.Exists(scratch.Checkpoint));
    }

    [Fact]
    public async Task The_pool_comes_from_the_ceph_datastore_driver_configuration_when_the_template_has_none()
    {
        await using var scratch = new Scratch("ceph-conf");
        using var remotes = new RemotesCopy();
        Directory.CreateDirectory(Path.Combine(remotes.Root, "etc", "datastore", "ceph"));
        await File.WriteAllTextAsync(Path.Combine(remotes.Root, "etc", "datastore", "ceph", "ceph.conf"), "POOL_NAME=confpool\nRBD_FORMAT=1\n");
        var pool = Directory.CreateDirectory(Path.Combine(scratch.Root, "pool")).FullName;
        using var fakes = new FakePrograms().WithRbd(pool);
        var xml = scratch.Diskless("ceph-conf");
        await scratch.StartAsync(xml);

        var save = await remotes.Driver.WithPathFirst(fakes.Directory).RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId, tmMad: "ceph"),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(save);
        Assert.Equal([$"rbd import {scratch.Checkpoint} confpool/one-sys-{scratch.Vm}-checkpoint"], fakes.Calls);
    }

    [Fact]
    public async Task A_failed_rbd_import_fails_the_save_and_keeps_the_checkpoint_file()
    {
        await using var scratch = new Scratch("ceph-fail");
        var pool = Directory.CreateDirectory(Path.Combine(scratch.Root, "pool")).FullName;
        using var fakes = new FakePrograms().WithRbd(pool, failImport: true);
        var xml = scratch.Diskless("ceph-fail");
        await scratch.StartAsync(xml);
        var data = LifecycleXml.ActionData(scratch.VmId, tmMad: "ceph", datastoreTemplate: new XElement("TEMPLATE", new XElement("POOL_NAME", "onepool")));

        var save = await Driver.Staged.WithPathFirst(fakes.Directory).RunWithStdinAsync("save", data,
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        Assert.Equal($"The save.ceph hook failed with exit code 1: Could not import the checkpoint {scratch.Checkpoint} into onepool/one-sys-{scratch.Vm}-checkpoint: rbd: import failed: (28) No space left on device.",
            ProtocolAssert.Failed(save));
        Assert.True(new FileInfo(scratch.Checkpoint).Length > 0);
    }

    [Fact]
    public async Task A_failed_rbd_export_fails_the_restore_and_leaves_no_half_checkpoint()
    {
        await using var scratch = new Scratch("ceph-export");
        var pool = Directory.CreateDirectory(Path.Combine(scratch.Root, "pool")).FullName;
        using var fakes = new FakePrograms().WithRbd(pool);
        var data = LifecycleXml.ActionData(scratch.VmId, tmMad: "ceph", datastoreTemplate: new XElement("TEMPLATE", new XElement("POOL_NAME", "onepool")));

        var restore = await Driver.Staged.WithPathFirst(fakes.Directory).RunWithStdinAsync("restore", data,
            scratch.Checkpoint, "localhost", "", scratch.Vm, "localhost");

        Assert.StartsWith($"The restore.ceph hook failed with exit code 1: Could not export the checkpoint onepool/one-sys-{scratch.Vm}-checkpoint to {scratch.Checkpoint}: ",
            ProtocolAssert.Failed(restore), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(scratch.VmDirectory));
    }
}
