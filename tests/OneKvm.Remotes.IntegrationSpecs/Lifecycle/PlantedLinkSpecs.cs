using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A symbolic link planted in the VM directory under the name of a file an action writes (the
/// deployment file, the checkpoint, the snapshot metadata), pointing at a file outside the datastore:
/// the action does not write through it, the file outside stays as it was. The pid files and the
/// probes' state files are shown by the unit PlantedLinkSpecs. And the VM directory itself swapped
/// for a link another user (uid 65534) planted, pointing out of the datastore: the action refuses in one
/// sentence and writes nothing where it points (the unit PlantedParentLinkSpecs show the other paths).
/// Real domains, real libvirtd.
/// </summary>
public sealed class PlantedLinkSpecs
{
    private const string Precious = "a file outside the datastore\n";

    private static string Plant(Scratch scratch, string path)
    {
        var victim = Path.Combine(scratch.Root, "victim");
        File.WriteAllText(victim, Precious);
        File.CreateSymbolicLink(path, victim);
        return victim;
    }

    /// <summary>Replaces the VM directory by a link of uid 65534 to an empty directory outside the datastore, which it returns.</summary>
    private static async Task<string> SwapVmDirectoryAsync(Scratch scratch)
    {
        var outside = Path.Combine(scratch.Root, "outside");
        Directory.CreateDirectory(outside);
        Directory.Move(scratch.VmDirectory, scratch.VmDirectory + ".moved");
        File.CreateSymbolicLink(scratch.VmDirectory, outside);
        var chown = await ProcessRun.RunAsync("chown", ["-h", "65534:65534", scratch.VmDirectory]);
        Assert.True(chown.ExitCode == 0, "chown -h failed: " + chown);
        return outside;
    }

    [Fact]
    public async Task A_vm_directory_swapped_for_another_users_link_gets_no_deployment_file_and_no_domain()
    {
        await using var scratch = new Scratch("plink-deploy");
        var xml = scratch.Diskless("plink-deploy");
        var outside = await SwapVmDirectoryAsync(scratch);

        var result = await Driver.Staged.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

        Assert.Contains("is a symbolic link owned by uid 65534", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.False(await TestVirsh.ExistsAsync(xml.Name));
    }

    [Fact]
    public async Task A_vm_directory_swapped_for_another_users_link_gets_no_checkpoint_and_the_vm_runs_on()
    {
        await using var scratch = new Scratch("plink-save");
        var xml = scratch.Diskless("plink-save");
        await scratch.StartAsync(xml);
        var outside = await SwapVmDirectoryAsync(scratch);

        var result = await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        Assert.Contains("is a symbolic link owned by uid 65534", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_link_planted_at_the_deployment_file_is_replaced_and_the_file_it_points_at_kept()
    {
        await using var scratch = new Scratch("link-deploy");
        var xml = scratch.Diskless("link-deploy");
        var victim = Plant(scratch, scratch.DeploymentFile);

        var result = await Driver.Staged.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(Precious, await File.ReadAllTextAsync(victim));
        Assert.Null(new FileInfo(scratch.DeploymentFile).LinkTarget);
        Assert.Equal(xml.Name, (string?)XElement.Load(scratch.DeploymentFile).Element("name"));
    }

    [Fact]
    public async Task A_link_planted_at_the_checkpoint_is_moved_aside_not_written_through()
    {
        await using var scratch = new Scratch("link-save");
        var xml = scratch.Diskless("link-save");
        await scratch.StartAsync(xml);
        var victim = Plant(scratch, scratch.Checkpoint);

        var result = await Driver.Staged.RunWithStdinAsync("save", LifecycleXml.ActionData(scratch.VmId),
            xml.Name, scratch.Checkpoint, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(Precious, await File.ReadAllTextAsync(victim));
        Assert.Null(new FileInfo(scratch.Checkpoint).LinkTarget);
        Assert.Equal(0, (await TestVirsh.RunAsync("save-image-dumpxml", "--file", scratch.Checkpoint)).ExitCode);
    }

    [Fact]
    public async Task A_link_planted_at_the_snapshot_metadata_is_replaced_and_the_file_it_points_at_kept()
    {
        await using var scratch = new Scratch("link-snap");
        var xml = await scratch.WithQcow2DiskAsync("link-snap");
        await scratch.StartAsync(xml);
        var metadata = Path.Combine(scratch.VmDirectory, "snap-0.xml");
        var victim = Plant(scratch, metadata);

        var result = await Driver.Staged.RunWithStdinAsync("snapshot_create", LifecycleXml.HostOnlyData, xml.Name, "0", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(Precious, await File.ReadAllTextAsync(victim));
        Assert.Null(new FileInfo(metadata).LinkTarget);
        Assert.Equal("snap-0", (string?)XElement.Load(metadata).Element("name"));
    }

    /// <summary>
    /// The snapshot metadata holds the display password: owner-only (0600) from the open(2) that creates it
    /// on. strace shows the open; created 0666 (less the umask) and then chmod'ed, it was readable by
    /// anyone who opened it in between, and kept open.
    /// </summary>
    [Fact]
    public async Task The_snapshot_metadata_is_created_owner_only_not_narrowed_after_its_creation()
    {
        await using var scratch = new Scratch("mode-snap");
        var xml = await scratch.WithQcow2DiskAsync("mode-snap");
        await scratch.StartAsync(xml);
        var trace = Path.Combine(scratch.Root, "strace.log");

        var result = await Driver.Staged.Under("/usr/bin/strace", "-f", "-qq", "-e", "trace=open,openat,chmod,fchmod,fchmodat", "-o", trace)
            .RunWithStdinAsync("snapshot_create", LifecycleXml.HostOnlyData, xml.Name, "0", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        var creation = Assert.Single(File.ReadAllLines(trace), l => l.Contains(".snap-0.xml.onekvm-", StringComparison.Ordinal) && l.Contains("O_CREAT", StringComparison.Ordinal));
        Assert.Contains("O_EXCL", creation, StringComparison.Ordinal);
        Assert.EndsWith(", 0600) = 3", System.Text.RegularExpressions.Regex.Replace(creation, @"\) = \d+$", ") = 3"), StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(scratch.VmDirectory, "snap-0.xml")));
    }
}
