using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Errors;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

/// <summary>The arguments as the kernel keeps them (/proc/self/cmdline): an argument .NET would have changed is refused.</summary>
public sealed class RawArgumentsSpecs : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    private void Cmdline(params byte[][] arguments) => File.WriteAllBytes(_file, [.. arguments.SelectMany(a => a.Append((byte)0))]);

    [Fact]
    public void Valid_utf8_arguments_pass_whatever_argv0_holds()
    {
        Cmdline([0xFF, .. "save"u8], "one-7"u8.ToArray(), "/var/lib/one/datastores/0/7/checkpoint"u8.ToArray(), "épée"u8.ToArray());

        RawArguments.EnsureUtf8(_file);
    }

    [Fact]
    public void An_argument_with_a_byte_no_utf8_sequence_has_is_refused_by_its_number()
    {
        Cmdline("save"u8.ToArray(), "one-7"u8.ToArray(), [.. "checkpoint"u8, 0xFF], "localhost"u8.ToArray());

        var e = Assert.Throws<UsageException>(() => RawArguments.EnsureUtf8(_file));

        Assert.Equal("Argument 2 is not valid UTF-8 (it would read 'checkpoint\uFFFD'); a name or path must reach libvirt as it was given.", e.Message);
    }

    [Fact]
    public void An_empty_argument_is_kept_in_the_count()
    {
        Assert.Equal(4, RawArguments.Split([.. "a"u8, 0, 0, .. "b"u8, 0, .. "c"u8, 0]).Count);
    }

    public void Dispose() => File.Delete(_file);
}
