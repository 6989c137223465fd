using OneKvm.Remotes.Guest;
using Xunit;

namespace OneKvm.Remotes.Specs.Guest;

public sealed class ShellWordsSpecs
{
    [Theory]
    [InlineData("uname -a", new[] { "uname", "-a" })]
    [InlineData("  ls\t-l   /tmp  ", new[] { "ls", "-l", "/tmp" })]
    [InlineData("printf '%s|' 'a b' \"c d\"", new[] { "printf", "%s|", "a b", "c d" })]
    [InlineData("echo ';' $(id) `id` $HOME '*' |", new[] { "echo", ";", "$(id)", "`id`", "$HOME", "*", "|" })]
    [InlineData("echo \"a \\\"q\\\" \\$x \\n\"", new[] { "echo", "a \"q\" $x \\n" })]
    [InlineData("echo back\\ slash it\\'s", new[] { "echo", "back slash", "it's" })]
    [InlineData("echo 'multi\nline' two\\\nwords", new[] { "echo", "multi\nline", "twowords" })]
    [InlineData("echo '' \"\"", new[] { "echo", "", "" })]
    [InlineData("a'b'\"c\"d", new[] { "abcd" })]
    public void A_command_line_is_split_like_a_posix_shell_splits_words_without_expanding_anything(string line, string[] words) =>
        Assert.Equal(words, ShellWords.Split(line));

    [Theory]
    [InlineData("echo 'open", "a single quote at character 6 is never closed")]
    [InlineData("echo \"open", "a double quote at character 6 is never closed")]
    public void An_unterminated_quote_is_refused_with_where_it_opens(string line, string reason) =>
        Assert.Equal(reason, Assert.Throws<FormatException>(() => ShellWords.Split(line)).Message);

    [Fact]
    public void Blanks_alone_are_no_command() => Assert.Empty(ShellWords.Split(" \t\n "));
}
