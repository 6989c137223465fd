using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OneKvm.Remotes.Logging;
using Xunit;

namespace OneKvm.Remotes.Specs.Logging;

public sealed class OneLogFormatterSpecs
{
    private static string Format(LogLevel level, string message, Exception? exception = null)
    {
        var writer = new StringWriter();
        var entry = new LogEntry<string>(level, "deploy", default, message, exception, (s, _) => s);
        new OneLogFormatter().Write(in entry, null, writer);
        return writer.ToString();
    }

    [Theory]
    [InlineData(LogLevel.Debug, "DEBUG")]
    [InlineData(LogLevel.Trace, "DEBUG")]
    [InlineData(LogLevel.Information, "INFO")]
    [InlineData(LogLevel.Warning, "WARN")]
    [InlineData(LogLevel.Error, "ERROR")]
    [InlineData(LogLevel.Critical, "ERROR")]
    public void Each_level_is_written_the_way_one_vmm_exec_reads_it(LogLevel level, string tag)
    {
        Assert.Equal($"{tag}: deploy: domain created\n", Format(level, "domain created"));
    }

    [Fact]
    public void Every_line_of_a_multi_line_message_carries_the_prefix()
    {
        Assert.Equal("ERROR: deploy: first\nERROR: deploy: second\n", Format(LogLevel.Error, "first\r\nsecond\n"));
    }

    [Fact]
    public void Control_characters_cannot_break_the_line_protocol()
    {
        Assert.Equal("INFO: deploy: a b c\n", Format(LogLevel.Information, "a\tb\u0007c"));
    }

    [Fact]
    public void An_exception_adds_its_message_not_its_stack_trace()
    {
        Assert.Equal("WARN: deploy: cleanup failed: disk busy\n", Format(LogLevel.Warning, "cleanup failed", new IOException("disk busy")));
    }
}
