using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>deploy and snapshot decisions with a scripted virsh; the real ones are in the integration specs.</summary>
public sealed class DeploySnapshotActionSpecs : IDisposable
{
    private const string Domain = "<domain type='kvm'><name>one-7</name><memory>65536</memory></domain>";
    private const string NotFound = "error: failed to get domain 'one-7'\n";
    private const string BlockJob = "error: Requested operation is not valid: domain has active block job\n";

    private readonly LifecycleHost _host = new();

    [Fact]
    public async Task A_deployment_whose_uuid_cannot_be_read_is_destroyed_again_and_answers_nothing()
    {
        _host.Host.Stdin = Domain;
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("create").On("domuuid", stdout: "\u0001garbage\n").On("destroy");

        Assert.Equal(1, await _host.RunAsync("deploy", _host.Scratch("0/7/deployment.0"), "localhost", "7", "localhost"));
        Assert.Equal(["domstate", "create", "domuuid", "destroy"], _host.Virsh.Verbs);
        Assert.Equal("", _host.Host.Stdout.ToString());
        Assert.StartsWith("Domain one-7 was created but its UUID could not be read", _host.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_domain_of_that_name_created_meanwhile_is_not_destroyed_by_the_failed_deploy()
    {
        _host.Host.Stdin = Domain;
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound)
            .On("create", exit: 1, stderr: "error: Failed to create domain from x\nerror: operation failed: domain 'one-7' already exists with uuid 0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01\n");

        Assert.Equal(1, await _host.RunAsync("deploy", _host.Scratch("0/7/deployment.0"), "localhost", "7", "localhost"));
        Assert.Equal(["domstate", "create"], _host.Virsh.Verbs);
        Assert.Equal("Domain one-7 already exists (operation failed: domain 'one-7' already exists with uuid 0f3c3a2e-5d4f-4c1a-9a43-3f3b8d1c2e01); deploy does not start a second one.", _host.Sentence);
    }

    [Fact]
    public async Task Snapshot_create_is_tried_3_times_while_a_block_job_runs_and_answers_the_name()
    {
        var vmDirectory = Path.GetDirectoryName(_host.Scratch("0/7/x"))!;
        _host.Virsh.On("metadata", stdout: $"<vm><system_datastore>{vmDirectory}</system_datastore></vm>")
            .On("snapshot-create-as", exit: 1, stderr: BlockJob, call: 1).On("snapshot-create-as", exit: 1, stderr: BlockJob, call: 2)
            .On("snapshot-create-as", stdout: "Domain snapshot snap-4 created\n")
            .On("snapshot-dumpxml", stdout: "<domainsnapshot><name>snap-4</name></domainsnapshot>\n");

        Assert.Equal(0, await _host.RunAsync("snapshot_create", "one-7", "4", "7", "localhost"));
        Assert.Equal("snap-4\n", _host.Host.Stdout.ToString());
        Assert.Equal(3, _host.Virsh.CallsTo("snapshot-create-as"));
        Assert.Equal("<domainsnapshot><name>snap-4</name></domainsnapshot>\n", File.ReadAllText(Path.Combine(vmDirectory, "snap-4.xml")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(vmDirectory, "snap-4.xml")));
    }

    [Fact]
    public async Task A_snapshot_that_libvirt_refuses_to_delete_keeps_its_metadata_file_unlike_upstream()
    {
        var vmDirectory = Path.GetDirectoryName(_host.Scratch("0/7/x"))!;
        var file = Path.Combine(vmDirectory, "snap-4.xml");
        File.WriteAllText(file, "<domainsnapshot/>");
        _host.Virsh.On("metadata", stdout: $"<vm><system_datastore>{vmDirectory}</system_datastore></vm>")
            .On("snapshot-delete", exit: 1, stderr: "error: Failed to delete snapshot snap-4\nerror: internal error: unable to execute QEMU command\n");

        Assert.Equal(1, await _host.RunAsync("snapshot_delete", "one-7", "snap-4", "7", "localhost"));
        Assert.True(File.Exists(file));
        Assert.Equal("Could not delete snapshot snap-4 of domain one-7: internal error: unable to execute QEMU command.", _host.Sentence);
    }

    [Fact]
    public async Task A_snapshot_name_that_is_a_path_is_refused_before_anything_is_touched()
    {
        Assert.Equal(2, await _host.RunAsync("snapshot_delete", "one-7", "../../etc/passwd", "7", "localhost"));
        Assert.Empty(_host.Virsh.Calls);
    }

    public void Dispose() => _host.Dispose();
}
