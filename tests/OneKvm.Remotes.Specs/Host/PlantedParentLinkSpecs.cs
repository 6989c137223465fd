using System.Runtime.InteropServices;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.RootHelpers;
using Xunit;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>
/// A symbolic link another user (here uid 65534, nobody) planted in a PARENT directory of a path
/// onekvm writes, pointing out of the datastore or state directory: the write is refused and nothing
/// appears where the link points. A link of root, of the user onekvm runs as, or of the owner of the
/// directory holding it (a system datastore linked to another mount) is still followed.
/// The specs run as root, so "another user" is any other uid.
/// </summary>
public sealed class PlantedParentLinkSpecs : IDisposable
{
    private const int Nobody = 65534;

    private readonly string _root = Directory.CreateTempSubdirectory("onekvm-t-parent-links-").FullName;

    /// <summary>Where the planted links point: must stay empty.</summary>
    private string Outside => Path.Combine(_root, "outside");

    /// <summary>Makes <paramref name="link"/> a link to <see cref="Outside"/> owned by <paramref name="owner"/>.</summary>
    private string Plant(string link, int owner = Nobody)
    {
        Directory.CreateDirectory(Outside);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        File.CreateSymbolicLink(link, Outside);
        Assert.Equal(0, ChangeLinkOwner(link, owner, owner));
        return link;
    }

    private void AssertNothingOutside() => Assert.Empty(Directory.EnumerateFileSystemEntries(Outside));

    [Fact]
    public void A_vm_directory_swapped_for_another_users_link_gets_no_deployment_file_or_snapshot_metadata()
    {
        var vm = Plant(Path.Combine(_root, "datastores", "0", "7"));

        var e = Assert.Throws<UnauthorizedAccessException>(() => AtomicFile.WriteAllText(Path.Combine(vm, "deployment.0"), "<domain/>"));

        Assert.Equal($"{vm} is a symbolic link owned by uid {Nobody}, neither root, this user nor the owner of {Path.GetDirectoryName(vm)}: it is not followed", e.Message);
        AssertNothingOutside();
    }

    [Fact]
    public void A_system_datastore_linked_to_another_mount_by_root_is_still_written_through()
    {
        var datastore = Plant(Path.Combine(_root, "datastores", "0"), owner: 0);
        Directory.CreateDirectory(Path.Combine(datastore, "7"));

        AtomicFile.WriteAllText(Path.Combine(datastore, "7", "deployment.0"), "<domain/>");

        Assert.Equal("<domain/>", File.ReadAllText(Path.Combine(Outside, "7", "deployment.0")));
    }

    [Fact]
    public void A_link_owned_by_the_owner_of_its_directory_is_followed_as_the_kernel_does()
    {
        var parent = Path.Combine(_root, "datastores");
        Directory.CreateDirectory(parent);
        Assert.Equal(0, ChangeLinkOwner(parent, Nobody, Nobody));
        var datastore = Plant(Path.Combine(parent, "0"));

        AtomicFile.WriteAllText(Path.Combine(datastore, "deployment.0"), "<domain/>");

        Assert.True(File.Exists(Path.Combine(Outside, "deployment.0")));
    }

    [Fact]
    public void A_probe_state_directory_whose_parent_is_another_users_link_gets_no_state_file()
    {
        var parent = Plant(Path.Combine(_root, "run"));

        Assert.Throws<UnauthorizedAccessException>(() => StateFile.Replace(Path.Combine(parent, "onekvm-states-node"), "onekvm-vm-states 1\n"));

        AssertNothingOutside();
    }

    [Fact]
    public async Task An_execution_directory_under_another_users_link_gets_no_lock_or_pid_file()
    {
        var files = new ExecutionFiles(Path.Combine(Plant(Path.Combine(_root, "var", "run")), "one"), (_, _) => Task.CompletedTask);

        await Assert.ThrowsAsync<OneKvmException>(() => files.LockAsync(TimeSpan.Zero, CancellationToken.None));
        Assert.Throws<UnauthorizedAccessException>(() => files.WritePid(7, 4242));

        AssertNothingOutside();
    }

    [Fact]
    public void A_metric_history_directory_planted_as_another_users_link_is_not_used()
    {
        var history = new MetricHistory(Plant(Path.Combine(_root, "one_db")), 4);

        Assert.Throws<UnauthorizedAccessException>(() => history.Record(7, 1_700_000_000, [("CPU", 1.5)], [], 0));

        AssertNothingOutside();
    }

    [Fact]
    public void A_metric_history_directory_made_by_another_user_is_not_used()
    {
        var directory = Path.Combine(_root, "one_db");
        Directory.CreateDirectory(directory);
        Assert.Equal(0, ChangeLinkOwner(directory, Nobody, Nobody));
        var history = new MetricHistory(directory, 4);

        var e = Assert.Throws<UnauthorizedAccessException>(() => history.Record(7, 1_700_000_000, [("CPU", 1.5)], [], 0));

        Assert.StartsWith($"{directory} is owned by uid {Nobody} with mode ", e.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory));
    }

    [Fact]
    public void A_root_helper_does_not_enter_a_vm_directory_reached_through_another_users_link()
    {
        var datastore = Plant(Path.Combine(_root, "datastores", "0"));
        Directory.CreateDirectory(Path.Combine(Outside, "7"));

        var e = Assert.Throws<RefusedException>(() => NoFollowDirectory.TryOpen(Path.Combine(datastore, "7"))?.Dispose());

        Assert.Contains($"{datastore} is a symbolic link owned by uid {Nobody}", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [DllImport("libc", EntryPoint = "lchown", SetLastError = true)]
    private static extern int ChangeLinkOwner([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int uid, int gid);
}
