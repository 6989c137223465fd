using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Lifecycle;
using Xunit;
using OneKvm.Remotes.Checkpoints;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class CheckpointSetAsideSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onekvm-t-aside-").FullName;

    private string File_ => Path.Combine(_directory, "checkpoint");

    [Fact]
    public void The_old_checkpoint_goes_to_file_dot_epoch()
    {
        File.WriteAllText(File_, "old");

        var aside = CheckpointSetAside.Move(File_, 1_700_000_000);

        Assert.Equal(File_ + ".1700000000", aside);
        Assert.Equal("old", File.ReadAllText(aside));
        Assert.False(File.Exists(File_));
    }

    [Fact]
    public void When_file_dot_epoch_is_taken_the_next_free_numbered_name_is_used_and_nothing_is_overwritten()
    {
        File.WriteAllText(File_, "newest");
        File.WriteAllText(File_ + ".1700000000", "older");
        File.WriteAllText(File_ + ".1700000000.1", "oldest");

        var aside = CheckpointSetAside.Move(File_, 1_700_000_000);

        Assert.Equal(File_ + ".1700000000.2", aside);
        Assert.Equal("newest", File.ReadAllText(aside));
        Assert.Equal("older", File.ReadAllText(File_ + ".1700000000"));
        Assert.Equal("oldest", File.ReadAllText(File_ + ".1700000000.1"));
    }

    [Fact]
    public void The_candidate_names_start_with_upstream_s_and_are_bounded()
    {
        var names = CheckpointSetAside.Candidates("/d/checkpoint", 42).ToList();

        Assert.Equal("/d/checkpoint.42", names[0]);
        Assert.Equal("/d/checkpoint.42.1", names[1]);
        Assert.Equal(CheckpointSetAside.MaxCandidates, names.Count);
    }

    [Fact]
    public void A_checkpoint_that_cannot_be_moved_is_a_clear_error_and_stays_where_it_was()
    {
        var missingDirectoryFile = Path.Combine(_directory, "gone", "checkpoint");

        var error = Assert.Throws<OneKvmException>(() => CheckpointSetAside.Move(missingDirectoryFile, 42));

        Assert.StartsWith($"Could not move the old checkpoint {missingDirectoryFile} aside", error.Message);
        Assert.EndsWith(".", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
