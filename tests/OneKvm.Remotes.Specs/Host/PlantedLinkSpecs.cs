using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>
/// A symbolic link planted under the name of a file onekvm writes (the deployment file and snapshot
/// metadata through AtomicFile, an execution's pid file, the probes' state files), pointing at a file
/// outside the directory: the link is replaced by the new file, the file it pointed at stays as it was.
/// </summary>
public sealed class PlantedLinkSpecs : IDisposable
{
    private const string Precious = "a file outside the datastore\n";

    private readonly string _root = Directory.CreateTempSubdirectory("onekvm-t-links-").FullName;

    private string Victim => Path.Combine(_root, "outside", "victim");

    private string Plant(string directory, string name)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Victim)!);
        File.WriteAllText(Victim, Precious);
        Directory.CreateDirectory(directory);
        var link = Path.Combine(directory, name);
        File.CreateSymbolicLink(link, Victim);
        return link;
    }

    private void AssertNotFollowed(string link, string expected)
    {
        Assert.Equal(Precious, File.ReadAllText(Victim));
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.Equal(expected, File.ReadAllText(link));
    }

    [Fact]
    public void A_link_planted_at_a_file_written_whole_is_replaced_not_written_through()
    {
        var link = Plant(Path.Combine(_root, "vm"), "deployment.0");

        AtomicFile.WriteAllText(link, "<domain/>");

        AssertNotFollowed(link, "<domain/>");
    }

    [Fact]
    public void A_link_planted_at_an_executions_pid_file_is_replaced_not_written_through()
    {
        var files = new ExecutionFiles(Path.Combine(_root, "run"), (_, _) => Task.CompletedTask);
        var link = Plant(files.Directory, "one-7");

        files.WritePid(7, 4242);

        AssertNotFollowed(link, "4242");
        Assert.Equal(4242, files.ReadPid(7, out _));
    }

    [Fact]
    public void A_link_planted_at_a_probe_state_file_is_replaced_not_written_through()
    {
        var link = Plant(Path.Combine(_root, "state"), "onekvm-states-node");

        StateFile.Replace(link, "onekvm-vm-states 1\n");

        AssertNotFollowed(link, "onekvm-vm-states 1\n");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
