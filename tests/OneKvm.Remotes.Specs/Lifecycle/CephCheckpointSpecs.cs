using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Xml;
using Xunit;
using OneKvm.Remotes.Checkpoints;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class CephCheckpointSpecs : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("onekvm-t-cephroot-").FullName;

    [Fact]
    public void Rbd_gets_the_credentials_first_and_format_2_only_when_asked()
    {
        var ceph = new CephCheckpoint("one/one-sys-7-checkpoint", "libvirt", "/etc/ceph/other.conf", FormatTwo: true);

        Assert.Equal(["--id", "libvirt", "--conf", "/etc/ceph/other.conf", "import", "--image-format", "2", "/ds/0/7/checkpoint", "one/one-sys-7-checkpoint"],
            ceph.Import("/ds/0/7/checkpoint"));
        Assert.Equal(["import", "/c", "p/i"], new CephCheckpoint("p/i", null, null, false).Import("/c"));
        Assert.Equal(["export", "p/i", "/c"], new CephCheckpoint("p/i", null, null, false).Export("/c"));
        Assert.Equal(["--id", "u", "rm", "p/i"], new CephCheckpoint("p/i", "u", null, false).Remove());
    }

    [Fact]
    public void The_datastore_template_wins_over_ceph_conf_which_gives_the_defaults()
    {
        WriteCephConf("POOL_NAME=confpool\nRBD_FORMAT=2\n");

        var fromConf = CephCheckpoint.For(Context(), Data("<TEMPLATE><CEPH_USER>oneadmin</CEPH_USER></TEMPLATE>"), "7");
        var fromTemplate = CephCheckpoint.For(Context(), Data("<TEMPLATE><POOL_NAME>dspool</POOL_NAME><RBD_FORMAT>1</RBD_FORMAT></TEMPLATE>"), "7");

        Assert.Equal(new CephCheckpoint("confpool/one-sys-7-checkpoint", "oneadmin", null, true), fromConf);
        Assert.Equal(new CephCheckpoint("dspool/one-sys-7-checkpoint", null, null, false), fromTemplate);
    }

    [Fact]
    public void Without_a_pool_anywhere_the_hook_says_so()
    {
        var error = Assert.Throws<OneKvmException>(() => CephCheckpoint.For(Context(), Data("<TEMPLATE/>"), "7"));

        Assert.StartsWith("No POOL_NAME in the system datastore's template nor in ", error.Message);
    }

    private void WriteCephConf(string text)
    {
        var path = Path.Combine(_root, CephCheckpoint.ConfRelativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private DriverContext Context()
    {
        var entry = ActionTable.Find("save.ceph")!;
        var invokedAs = Path.Combine(_root, "vmm", "kvm", "save.ceph");
        var host = new SpecHost().Build();
        return new DriverContext(entry, RemotesLocation.Resolve(invokedAs, entry, host.ProcessPath, host.Environment), host);
    }

    private static ActionData Data(string template) =>
        ActionData.Parse($"<VMM_DRIVER_ACTION_DATA><DATASTORE><TM_MAD>ceph</TM_MAD>{template}</DATASTORE></VMM_DRIVER_ACTION_DATA>");

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
