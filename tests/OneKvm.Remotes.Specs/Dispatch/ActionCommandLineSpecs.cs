using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Errors;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

public sealed class ActionCommandLineSpecs
{
    private static readonly ActionEntry Reboot = ActionTable.Find("reboot")!;

    [Fact]
    public void Arguments_are_bound_by_their_names_in_the_table()
    {
        var args = ActionCommandLine.Parse(Reboot, ["one-7", "node1", "7", "node1"]);

        Assert.Equal("one-7", args[ActionParameter.DeployId]);
        Assert.Equal("node1", args.Optional(ActionParameter.ThisHost));
        Assert.Equal("7", args.Optional(ActionParameter.VmId));
        Assert.Empty(args.Extra);
    }

    [Theory]
    [InlineData("@hosts")]
    [InlineData("-h")]
    [InlineData("--help")]
    [InlineData("--connect")]
    [InlineData("-")]
    [InlineData("a b; rm -rf / $(x) `y` 'z'")]
    public void Any_value_is_a_value_never_an_option_or_a_response_file(string hostile)
    {
        var args = ActionCommandLine.Parse(Reboot, ["one-7", hostile]);

        Assert.Equal("one-7", args[ActionParameter.DeployId]);
        Assert.Equal(hostile, args.Optional(ActionParameter.ThisHost));
    }

    [Fact]
    public void A_domain_named_like_an_option_is_still_the_deploy_id()
    {
        var args = ActionCommandLine.Parse(Reboot, ["--help", "host"]);

        Assert.Equal("--help", args[ActionParameter.DeployId]);
    }

    [Fact]
    public void Arguments_beyond_the_table_are_tolerated_like_upstream_scripts_do()
    {
        var args = ActionCommandLine.Parse(Reboot, ["one-7", "h", "7", "h", "surplus", "more"]);

        Assert.Equal(["surplus", "more"], args.Extra);
    }

    [Fact]
    public void A_missing_required_argument_is_a_usage_error_that_shows_the_usage()
    {
        var restore = ActionTable.Find("restore")!;

        var error = Assert.Throws<UsageException>(() => ActionCommandLine.Parse(restore, ["/ckpt"]));

        Assert.Equal(ExitCodes.Usage, error.ExitCode);
        Assert.Equal("restore: the argument <host> is missing; usage: restore <checkpoint_file> <host> [<deploy_id> [<vm_id> [<vm_host>]]].", error.Message);
    }

    [Fact]
    public void An_empty_required_argument_is_refused_when_the_action_reads_it()
    {
        var args = ActionCommandLine.Parse(Reboot, [""]);

        Assert.Throws<UsageException>(() => args[ActionParameter.DeployId]);
    }

    [Fact]
    public void Help_describes_arguments_stdin_and_answer()
    {
        var output = new StringWriter();

        ActionCommandLine.WriteHelp(ActionTable.Find("deploy")!, output);

        var text = output.ToString();
        Assert.Contains("deployment_file", text);
        Assert.Contains("stdin:  libvirt domain XML", text);
        Assert.Contains("stdout: the domain UUID", text);
    }
}
