using System.Text;
using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Logging;
using Xunit;

namespace OneKvm.Remotes.Specs.Logging;

public sealed class OneLoggerSpecs
{
    /// <summary>Records each write it receives, as the process's stderr would see write(2) calls.</summary>
    private sealed class RecordingWriter : TextWriter
    {
        public List<string> Writes { get; } = [];

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value) => Writes.Add(value.ToString());

        public override void Write(string? value) => Writes.Add(value ?? "");
    }

    private static ILogger Logger(TextWriter writer, LogLevel minimum = LogLevel.Debug) =>
        new OneLogger("shutdown", minimum, new OneLogFormatter(), writer);

    [Fact]
    public void A_line_is_on_stderr_as_soon_as_the_log_call_returns()
    {
        var stderr = new StringWriter();

        Logger(stderr).LogInformation("Domain {Domain} has no ACPI", "one-7");

        Assert.Equal("INFO: shutdown: Domain one-7 has no ACPI\n", stderr.ToString());
    }

    [Fact]
    public void A_multi_line_entry_reaches_stderr_in_one_write()
    {
        var stderr = new RecordingWriter();

        Logger(stderr).LogError("virsh said:\nerror: first\nerror: second");

        var write = Assert.Single(stderr.Writes);
        Assert.Equal("ERROR: shutdown: virsh said:\nERROR: shutdown: error: first\nERROR: shutdown: error: second\n", write);
    }

    [Fact]
    public void Entries_below_the_minimum_level_are_not_written()
    {
        var stderr = new StringWriter();
        var logger = Logger(stderr, LogLevel.Information);

        logger.LogDebug("not this");
        logger.LogWarning("this");

        Assert.False(logger.IsEnabled(LogLevel.Debug));
        Assert.Equal("WARN: shutdown: this\n", stderr.ToString());
    }
}
