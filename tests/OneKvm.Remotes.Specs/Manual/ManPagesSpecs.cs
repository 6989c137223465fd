using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.Manual;
using Xunit;

namespace OneKvm.Remotes.Specs.Manual;

/// <summary>The man pages come from the tables, so that a row added to either is documented.</summary>
public sealed class ManPagesSpecs
{
    [Fact]
    public void Onekvm_1_documents_every_action_of_the_table_with_its_arguments_and_the_operator_commands()
    {
        var page = ManPages.Tool(ActionTable.All, ActionTable.Commands);

        foreach (var entry in RemotesLayout.Entries)
        {
            Assert.Contains(entry.UsageLine.Replace("-", "\\-", StringComparison.Ordinal), page);
            Assert.Contains(entry.RemotesPath.Replace("-", "\\-", StringComparison.Ordinal), page);
        }
        Assert.Contains("doctor", page);
        Assert.Contains("\\-\\-list", page);
        Assert.Contains(".TP\nkvmrc\n", page);
    }

    [Fact]
    public void Onekvm_kvmrc_5_documents_every_parameter_with_its_default()
    {
        var page = ManPages.Kvmrc();

        foreach (var parameter in KvmrcParameters.All)
        {
            var tag = $".TP\n{parameter.Name}\n";
            Assert.Contains(tag, page);
            var text = page[(page.IndexOf(tag, StringComparison.Ordinal) + tag.Length)..].Split('\n')[0];
            if (!string.IsNullOrEmpty(parameter.Default))
            {
                Assert.Contains($"Default: {parameter.Default.Replace("-", "\\-", StringComparison.Ordinal)}.", text);
            }
        }
    }

    [Fact]
    public void No_line_of_either_page_starts_a_roff_request_by_accident()
    {
        foreach (var page in new[] { ManPages.Tool(ActionTable.All, ActionTable.Commands), ManPages.Kvmrc() })
        {
            foreach (var line in page.Split('\n').Where(l => l.StartsWith('.') || l.StartsWith('\'')))
            {
                Assert.Matches(@"^\.(TH|SH|PP|TP|B|RB|RI|IR|I|br) ?", line);
            }
        }
    }
}
