using Microsoft.Extensions.Logging.Abstractions;
using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class ProbeYamlSpecs
{
    // the shape of upstream's forecast.conf (src/im_mad/remotes/node-probes.d/forecast.conf), values changed
    private const string ForecastConf = """

        # comment
        host:
          db_retention: 4 # Number of weeks
          forecast:
              enabled: true
              period: 5 # Number of minutes
        virtualmachine:
          db_retention: 3
          forecast:
              enabled: yes
              period: 10
              lookback: 120 # minutes
          forecast_far:
              enabled: false
              period:  2880
        """;

    [Fact]
    public void Nested_mappings_are_read_by_their_dotted_path()
    {
        var yaml = ProbeYaml.Parse(ForecastConf);

        Assert.Equal(3, yaml.Number("virtualmachine.db_retention"));
        Assert.Equal(true, yaml.Flag("virtualmachine.forecast.enabled"));
        Assert.Equal(120, yaml.Number("virtualmachine.forecast.lookback"));
        Assert.Equal(false, yaml.Flag("virtualmachine.forecast_far.enabled"));
        Assert.Equal(2880, yaml.Number("virtualmachine.forecast_far.period"));
        Assert.Equal(4, yaml.Number("host.db_retention"));
        Assert.Null(yaml.Number("virtualmachine.forecast_far.lookback"));
        Assert.True(yaml.Has("virtualmachine.forecast"));
        Assert.False(yaml.Has("vm"));
    }

    [Fact]
    public void Ruby_symbol_keys_stay_apart_from_string_keys()
    {
        var yaml = ProbeYaml.Parse(":obsolete: 720\ntimes_missing: 9\n:times_missing: 5\n:commands:\n  :vm_qemu_ping: one-$vm_id '{\"execute\":\"guest-ping\"}' --timeout 5\n");

        Assert.Equal(720, yaml.Number(":obsolete"));
        Assert.Equal(5, yaml.Number(":times_missing"));
        Assert.Equal(9, yaml.Number("times_missing"));
        Assert.Equal("one-$vm_id '{\"execute\":\"guest-ping\"}' --timeout 5", yaml.Text(":commands.:vm_qemu_ping"));
    }

    [Fact]
    public void An_apostrophe_inside_a_plain_value_does_not_hide_the_comment_after_it()
    {
        // Ruby's YAML (upstream's reader) gives "o'neil" and 4: a quote opens a quoted value only where a value can start
        var yaml = ProbeYaml.Parse("host:\n  owner: o'neil # the admin\n  db_retention: 4 # weeks, 'four'\n  name: 'a # b' # c\n");

        Assert.Equal("o'neil", yaml.Text("host.owner"));
        Assert.Equal(4, yaml.Number("host.db_retention"));
        Assert.Equal("a # b", yaml.Text("host.name"));
    }

    [Theory]
    [InlineData("a: 1\n\tb: 2\n")]
    [InlineData("just words\n")]
    public void What_is_not_the_yaml_subset_is_a_format_error(string text)
    {
        Assert.Throws<FormatException>(() => ProbeYaml.Parse(text));
    }

    [Fact]
    public void A_value_that_is_not_a_number_is_a_format_error_naming_the_key()
    {
        var e = Assert.Throws<FormatException>(() => ProbeYaml.Parse(":obsolete: soon\n").Number(":obsolete"));
        Assert.Contains(":obsolete", e.Message);
    }

    [Theory]
    [InlineData("", 3, 720)]
    [InlineData(":obsolete: 60\n:times_missing: 5\n", 5, 60)]
    [InlineData(":obsolete: 1.5\n", 3, 1.5)]
    [InlineData("obsolete: 60\ntimes_missing: 5\n", 3, 720)]
    [InlineData(":obsolete: later\n:times_missing: 4\n", 4, 720)]
    public void Probe_db_settings_take_upstreams_defaults_for_what_the_file_does_not_say(string text, double timesMissing, double obsolete)
    {
        var settings = ProbeDbSettings.From(ProbeYaml.Parse(text), "probe_db.conf", NullLogger.Instance);

        Assert.Equal(new ProbeDbSettings(timesMissing, obsolete), settings);
    }
}
