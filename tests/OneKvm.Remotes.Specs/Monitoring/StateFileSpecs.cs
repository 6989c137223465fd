using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class StateFileSpecs : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"onekvm-t-statefile-{Guid.NewGuid():N}");

    public StateFileSpecs() => Directory.CreateDirectory(_dir);

    [Fact]
    public void A_replaced_file_holds_the_new_content_and_no_temporary_file_is_left()
    {
        var path = Path.Combine(_dir, "f");
        StateFile.Replace(path, "one");
        StateFile.Replace(path, "two");

        Assert.Equal("two", StateFile.Read(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task Readers_racing_writers_only_ever_see_a_whole_file()
    {
        var path = Path.Combine(_dir, "race");
        var contents = Enumerable.Range(0, 8).Select(i => new string((char)('a' + i), 20_000 + i)).ToArray();
        StateFile.Replace(path, contents[0]);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var writers = contents.Select(c => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                StateFile.Replace(path, c);
            }
        })).ToList();
        var reads = 0;
        while (!stop.IsCancellationRequested)
        {
            var text = StateFile.Read(path);
            Assert.Contains(text, contents);
            reads++;
        }
        await Task.WhenAll(writers);

        Assert.True(reads > 10);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_directory_that_refuses_the_file_is_an_io_error_and_leaves_nothing_behind() =>
        Assert.ThrowsAny<IOException>(() => StateFile.Replace(Path.Combine(_dir, "missing-dir", "f"), "x"));

    [Fact]
    public void A_missing_file_reads_as_nothing() => Assert.Null(StateFile.Read(Path.Combine(_dir, "none")));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
