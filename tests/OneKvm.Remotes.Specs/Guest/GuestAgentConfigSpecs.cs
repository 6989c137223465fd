using OneKvm.Remotes.Guest;
using Xunit;

namespace OneKvm.Remotes.Specs.Guest;

public sealed class GuestAgentConfigSpecs
{
    // the syntax of upstream's guestagent.conf (written here, not copied): comments, string and map commands
    private const string Conf = """
        # monitoring information received from the qemu guest agent
        :enabled: true

        :commands:
          # string syntax
          :vm_qemu_ping: one-$vm_id '{"execute":"guest-ping"}' --timeout 5   # trailing comment

          :vm_posix_amd64:
            :command: one-$vm_id '{"execute":"guest-exec","arguments":{"path":"/usr/bin/uname","arg":["-a"]}}' --timeout 10
            :os_types: [posix]
            :os_machines: [x86_64, amd64]
          :vm_ubuntu:
            :command: "one-$vm_id '{\"execute\":\"guest-ping\"}'"
            :os_ids: [ubuntu]
            :os_versions: ['24.04', "22.04"]
          :vm_block:
            command: one-$vm_id '{"execute":"guest-info"}'
            os_types:
              - mswindows
              - 'posix'
        """;

    [Fact]
    public void Upstreams_string_and_map_commands_and_their_filters_are_read()
    {
        var config = GuestAgentConfig.Parse(Conf);

        Assert.True(config.Enabled);
        Assert.Equal(["vm_qemu_ping", "vm_posix_amd64", "vm_ubuntu", "vm_block"], config.Commands.Select(c => c.Key));
        Assert.Equal("one-$vm_id '{\"execute\":\"guest-ping\"}' --timeout 5", config.Commands[0].Command);
        Assert.Empty(config.Commands[0].OsTypes);
        Assert.Equal(["posix"], config.Commands[1].OsTypes);
        Assert.Equal(["x86_64", "amd64"], config.Commands[1].OsMachines);
        Assert.Equal("one-$vm_id '{\"execute\":\"guest-ping\"}'", config.Commands[2].Command);
        Assert.Equal(["24.04", "22.04"], config.Commands[2].OsVersions);
        Assert.Equal(["mswindows", "posix"], config.Commands[3].OsTypes);
    }

    [Theory]
    [InlineData("false", false)]
    [InlineData("no", false)]
    [InlineData("off", false)]
    [InlineData("~", false)]
    [InlineData("", false)]
    [InlineData("true", true)]
    [InlineData("yes", true)]
    [InlineData("'false'", true)]
    public void Enabled_is_what_ruby_makes_of_the_yaml_value(string value, bool enabled) =>
        Assert.Equal(enabled, GuestAgentConfig.Parse($":enabled: {value}\n").Enabled);

    [Fact]
    public void Filters_all_have_to_match_and_an_empty_one_matches_anything()
    {
        var command = GuestAgentConfig.Parse(Conf).Commands[1];

        Assert.True(command.Matches(new GuestOs("debian", "posix", "12", "x86_64")));
        Assert.False(command.Matches(new GuestOs("debian", "posix", "12", "aarch64")));
        Assert.False(command.Matches(new GuestOs("mswindows", "mswindows", "10", "x86_64")));
        Assert.False(command.Matches(GuestOs.Unknown));
        Assert.True(GuestAgentConfig.Parse(Conf).Commands[0].Matches(GuestOs.Unknown));
    }

    [Fact]
    public void A_map_command_without_its_command_is_refused_with_its_line() =>
        Assert.Contains("line 3: the command broken has no :command:",
            Assert.Throws<FormatException>(() => GuestAgentConfig.Parse(":commands:\n  :ok: one-$vm_id x\n  :broken:\n    :os_types: [posix]\n")).Message,
            StringComparison.Ordinal);
}
