using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.Specs.Kvmrc;

public sealed class KvmrcParserSpecs
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    private static KvmrcDocument Parse(string text, Func<string, string?>? environment = null) =>
        KvmrcParser.Parse("kvmrc", text, environment ?? NoEnvironment);

    private static string? Value(KvmrcDocument doc, string name) =>
        doc.Effective.TryGetValue(name, out var a) ? a.Value : null;

    [Fact]
    public void The_upstream_kvmrc_parses_without_a_single_warning()
    {
        var doc = KvmrcParser.Load(ReferenceDocuments.Path("kvmrc.upstream"), NoEnvironment);

        Assert.Empty(doc.Warnings);
        Assert.Equal("qemu:///system", Value(doc, "LIBVIRT_URI"));
        Assert.Equal("180", Value(doc, "SHUTDOWN_TIMEOUT"));
        Assert.Equal("60", Value(doc, "VIRSH_TIMEOUT"));
        Assert.Equal("no", Value(doc, "CLEANUP_MEMORY_ON_STOP"));
        Assert.Equal("/usr/libexec/virtiofsd /usr/lib/qemu/virtiofsd /usr/lib/virtiofsd/virtiofsd", Value(doc, "VIRTIOFSD_BINARY_PATH"));
        Assert.Null(Value(doc, "CANCEL_NO_ACPI"));
        Assert.True(doc.Effective["LIBVIRT_URI"].Exported);
        Assert.False(doc.Effective["DEFAULT_ATTACH_CACHE"].Exported);
    }

    [Fact]
    public void The_kvmrc_shipped_in_remotes_layout_parses_without_a_single_warning()
    {
        var doc = KvmrcParser.Load(Path.Combine(RepositoryRoot(), "remotes-layout", "etc", "vmm", "kvm", "kvmrc"), NoEnvironment);

        Assert.True(doc.Exists);
        Assert.Empty(doc.Warnings);
        Assert.Equal("virtio", Value(doc, "DEFAULT_ATTACH_NIC_MODEL"));
    }

    [Theory]
    [InlineData("A=plain", "plain")]
    [InlineData("A='single $HOME \\n'", "single $HOME \\n")]
    [InlineData("A=\"double \\\"q\\\" \\$x \\\\ \\n\"", "double \"q\" $x \\ \\n")]
    [InlineData("A=back\\ slash", "back slash")]
    [InlineData("A=con'cat'\"enated\"", "concatenated")]
    [InlineData("A=value # a comment", "value")]
    [InlineData("A=value#not-a-comment", "value#not-a-comment")]
    [InlineData("A=\"has # hash\"", "has # hash")]
    [InlineData("A=", "")]
    [InlineData("export A=exported", "exported")]
    [InlineData("  export   A=\"spaced\"   ", "spaced")]
    [InlineData("A=\"two\nlines\"", "two\nlines")]
    [InlineData("A=con\\\ntinued", "continued")]
    [InlineData("A=x; B=y", "x")]
    public void A_value_is_read_the_way_a_shell_reads_it(string line, string expected)
    {
        var doc = Parse(line);

        Assert.Empty(doc.Warnings);
        Assert.Equal(expected, Value(doc, "A"));
    }

    [Fact]
    public void Variables_expand_from_earlier_lines_then_from_the_environment()
    {
        var doc = Parse("""
            BASE=/var/lib/one
            DS="$BASE/datastores"
            BRACED=${BASE}/x
            FROM_ENV=$HOME/y
            UNSET=[$NOPE]
            FALLBACK=${NOPE:-fallback}
            EMPTY_FALLBACK=${EMPTY:-used}
            DASH_FALLBACK=${EMPTY-unused}
            EMPTY=
            """.Replace("EMPTY=\n", "") + "\n", name => name == "HOME" ? "/home/oneadmin" : name == "EMPTY" ? "" : null);

        Assert.Empty(doc.Warnings);
        Assert.Equal("/var/lib/one/datastores", Value(doc, "DS"));
        Assert.Equal("/var/lib/one/x", Value(doc, "BRACED"));
        Assert.Equal("/home/oneadmin/y", Value(doc, "FROM_ENV"));
        Assert.Equal("[]", Value(doc, "UNSET"));
        Assert.Equal("fallback", Value(doc, "FALLBACK"));
        Assert.Equal("used", Value(doc, "EMPTY_FALLBACK"));
        Assert.Equal("", Value(doc, "DASH_FALLBACK"));
    }

    [Fact]
    public void Assignments_on_one_line_see_each_other_left_to_right()
    {
        var doc = Parse("A=1 B=$A");

        Assert.Equal("1", Value(doc, "B"));
    }

    [Fact]
    public void Export_of_a_name_marks_an_earlier_assignment_for_child_processes()
    {
        var doc = Parse("A=1\nexport A\nB=2");

        Assert.True(doc.Effective["A"].Exported);
        Assert.False(doc.Effective["B"].Exported);
    }

    [Fact]
    public void A_later_assignment_wins_and_keeps_the_earlier_export()
    {
        var doc = Parse("export A=1\nA=2");

        Assert.Equal("2", Value(doc, "A"));
        Assert.True(doc.Effective["A"].Exported);
        Assert.Equal(2, doc.Effective["A"].Line);
    }

    [Theory]
    [InlineData("A=$(touch /tmp/onekvm-must-not-exist)", "command substitution")]
    [InlineData("A=`touch /tmp/onekvm-must-not-exist`", "command substitution")]
    [InlineData("A=\"$(touch /tmp/onekvm-must-not-exist)\"", "command substitution")]
    [InlineData("touch /tmp/onekvm-must-not-exist", "is a command")]
    [InlineData("source /etc/profile", "is a command")]
    [InlineData("A=x > /tmp/onekvm-must-not-exist", "shell operator")]
    [InlineData("A=x | tee /tmp/onekvm-must-not-exist", "shell operator")]
    [InlineData("A=$1", "special parameter")]
    [InlineData("A=${B/x/y}", "expansion")]
    [InlineData("A='unterminated", "unterminated single quote")]
    [InlineData("A=\"unterminated", "unterminated double quote")]
    [InlineData("export -n A", "not an assignment")]
    public void A_line_it_cannot_interpret_is_reported_with_its_line_number_and_never_run(string line, string reason)
    {
        File.Delete("/tmp/onekvm-must-not-exist");

        var doc = Parse($"FIRST=1\n{line}\nLAST=2\n");

        var warning = Assert.Single(doc.Warnings);
        Assert.Equal(2, warning.Line);
        Assert.Contains(reason, warning.Reason);
        Assert.Contains("kvmrc:2:", warning.ToString());
        Assert.False(File.Exists("/tmp/onekvm-must-not-exist"));
        Assert.Null(Value(doc, "A"));
        Assert.Equal("1", Value(doc, "FIRST"));
        Assert.Equal("2", Value(doc, "LAST"));
    }

    [Fact]
    public void A_compound_command_is_skipped_whole_so_its_conditional_assignments_never_apply()
    {
        var doc = Parse("""
            A=1
            if [ -f /etc/debian_version ]; then
                export LIBVIRT_URI=qemu:///session
            fi
            B=2
            """);

        var warning = Assert.Single(doc.Warnings);
        Assert.Equal(2, warning.Line);
        Assert.Contains("lines 2-4", warning.Reason);
        Assert.Null(Value(doc, "LIBVIRT_URI"));
        Assert.Equal("2", Value(doc, "B"));
    }

    [Fact]
    public void A_function_definition_is_skipped_whole()
    {
        var doc = Parse("f() {\n  A=1\n}\nB=2\n");

        Assert.Single(doc.Warnings);
        Assert.Null(Value(doc, "A"));
        Assert.Equal("2", Value(doc, "B"));
    }

    [Fact]
    public void A_missing_file_is_an_empty_document_that_says_so()
    {
        var doc = KvmrcParser.Load("/nonexistent/kvmrc", NoEnvironment);

        Assert.False(doc.Exists);
        Assert.Empty(doc.Effective);
    }

    internal static string RepositoryRoot() => ReferenceDocuments.RepositoryRoot;
}
