using System.Diagnostics;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Kvmrc;
using Xunit;

namespace OneKvm.Remotes.Specs.Kvmrc;

/// <summary>kvmrc files an operator (or a broken disk) can produce: the parser always ends, reports, and never runs anything.</summary>
public sealed class KvmrcRobustnessSpecs
{
    private static readonly Func<string, string?> Environment = name => name == "HOME" ? "/home/oneadmin" : null;

    /// <summary>
    /// Parses on a pool thread and waits a generous minute: not a timing goal, a hang detector (the old
    /// parser never returned on these and the spec would block the run forever).
    /// </summary>
    private static Task<KvmrcDocument> ParseOrHang(string text) =>
        Task.Run(() => KvmrcParser.Parse("kvmrc", text, Environment)).WaitAsync(TimeSpan.FromMinutes(1));

    [Theory]
    [InlineData("X=\"$(hostname) $HOME\"")]
    [InlineData("X=$(hostname)$HOME")]
    [InlineData("X=\"`id` ${HOME}\"")]
    [InlineData("X=$1$HOME")]
    [InlineData("X=\"$1 $HOME $HOME\"")]
    public async Task A_word_with_a_substitution_and_a_second_expansion_is_one_warning_and_the_parse_ends(string line)
    {
        var doc = await ParseOrHang($"A=1\n{line}\nB=2\n");

        var warning = Assert.Single(doc.Warnings);
        Assert.Equal(2, warning.Line);
        Assert.Equal("1", doc.Effective["A"].Value);
        Assert.Equal("2", doc.Effective["B"].Value);
        Assert.False(doc.Effective.ContainsKey("X"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Random_bytes_as_kvmrc_end_in_warnings_never_in_a_loop(int seed)
    {
        var bytes = new byte[64 * 1024];
        new Random(seed).NextBytes(bytes);
        var text = System.Text.Encoding.UTF8.GetString(bytes);

        var doc = await ParseOrHang(text);

        Assert.NotEmpty(doc.Warnings);
        Assert.True(doc.Warnings.Count <= KvmrcParser.MaxWarnings + 1, $"{doc.Warnings.Count} warnings");
    }

    [Fact]
    public async Task Shell_syntax_soup_ends_too()
    {
        // every character the parser treats specially, in many orders
        const string Alphabet = "$({}\"'`\\=;#\n -_aZ9|&<>)";
        var random = new Random(17);
        var text = new string(Enumerable.Range(0, 200_000).Select(_ => Alphabet[random.Next(Alphabet.Length)]).ToArray());

        var doc = await ParseOrHang(text);

        Assert.NotEmpty(doc.Warnings);
    }

    [Fact]
    public async Task A_long_word_of_equal_signs_is_read_in_one_pass_not_one_pass_per_sign()
    {
        var doc = await ParseOrHang("A" + string.Concat(Enumerable.Repeat("-=", 2_000_000)) + "\nB=2\n");

        Assert.Equal("2", doc.Effective["B"].Value);
        Assert.Single(doc.Warnings);
    }

    [Fact]
    public async Task An_unterminated_brace_loses_its_own_line_only_and_later_line_numbers_stay_right()
    {
        var doc = await ParseOrHang("A=1\nB=${A\nC=3\nD=\"${A\"\nE=$(x)\nF=6\n");

        Assert.Equal(["1", "3", "6"], new[] { "A", "C", "F" }.Select(n => doc.Effective[n].Value));
        Assert.Equal(3, doc.Effective["C"].Line);
        Assert.Equal(6, doc.Effective["F"].Line);
        Assert.Equal([2, 4, 5], doc.Warnings.Select(w => w.Line));
        Assert.Contains("unterminated ${", doc.Warnings[0].Reason);
        Assert.Contains("unterminated ${", doc.Warnings[1].Reason);
    }

    [Fact]
    public async Task Hundreds_of_bad_lines_are_a_hundred_warnings_and_one_that_counts_the_rest()
    {
        var doc = await ParseOrHang(string.Concat(Enumerable.Repeat("rm -rf /\n", 500)));

        Assert.Equal(KvmrcParser.MaxWarnings + 1, doc.Warnings.Count);
        Assert.Contains("400 more line(s)", doc.Warnings[^1].Reason);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("qemu:///system", "\"qemu:///system\"")]
    [InlineData("$(reboot)", "'$(reboot)'")]
    [InlineData("`reboot`", "'`reboot`'")]
    [InlineData("it's $HOME", "'it'\\''s $HOME'")]
    [InlineData("a\\b", "'a\\b'")]
    public void Onekvm_kvmrc_shows_a_value_as_a_shell_word_that_reads_back_as_that_value(string value, string shown) =>
        Assert.Equal(shown, KvmrcReport.ShellWord(value));

    [Fact]
    public async Task A_kvmrc_that_is_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = Path.Combine(Path.GetTempPath(), $"onekvm-fifo-{Guid.NewGuid():N}");
        await Process.Start("mkfifo", [fifo]).WaitForExitAsync();
        try
        {
            var e = await Assert.ThrowsAsync<OneKvmException>(() =>
                Task.Run(() => KvmrcParser.Load(fifo, Environment)).WaitAsync(TimeSpan.FromMinutes(1)));
            Assert.Equal($"Could not read kvmrc {fifo}: it is a FIFO, not a regular file.", e.Message);
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [Fact]
    public void A_kvmrc_linked_to_dev_zero_is_refused_instead_of_read_until_memory_runs_out()
    {
        var link = Path.Combine(Path.GetTempPath(), $"onekvm-zero-{Guid.NewGuid():N}");
        File.CreateSymbolicLink(link, "/dev/zero");
        try
        {
            var e = Assert.Throws<OneKvmException>(() => KvmrcParser.Load(link, Environment));
            Assert.Equal($"Could not read kvmrc {link}: it is a character device, not a regular file.", e.Message);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Fact]
    public void A_kvmrc_larger_than_any_kvmrc_is_refused_with_its_size()
    {
        var path = Path.Combine(Path.GetTempPath(), $"onekvm-huge-{Guid.NewGuid():N}");
        using (var f = File.Create(path))
        {
            f.SetLength(Remotes.Host.RegularFile.Limit + 1L);
        }
        try
        {
            var e = Assert.Throws<OneKvmException>(() => KvmrcParser.Load(path, Environment));
            Assert.StartsWith($"Could not read kvmrc {path}: it has {Remotes.Host.RegularFile.Limit + 1L} bytes", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
