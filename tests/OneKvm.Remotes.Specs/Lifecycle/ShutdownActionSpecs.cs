using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>shutdown's waiting, re-sending and fallbacks, with a scripted virsh (the real ones are in the integration specs).</summary>
public sealed class ShutdownActionSpecs : IDisposable
{
    private const string NotFound = "error: failed to get domain 'one-7'\n";

    private readonly LifecycleHost _host = new();

    private IEnumerable<string> InfoLines => _host.Host.LogLines.Where(l => l.StartsWith("INFO: ", StringComparison.Ordinal));

    [Fact]
    public async Task A_guest_that_ignores_acpi_is_asked_again_every_10_s_and_the_timeout_is_the_error_without_force_destroy()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "30").WithSetting("FORCE_DESTROY", "no");
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown", stdout: "Domain 'one-7' is being shutdown\n");

        var code = await _host.RunAsync("shutdown", "one-7");

        Assert.Equal(1, code);
        Assert.StartsWith("Timed out shutting down one-7: the guest did not power off within 30 s (SHUTDOWN_TIMEOUT)", _host.Sentence);
        Assert.Equal(3, _host.Virsh.CallsTo("shutdown")); // at 0, 10 and 20 s
        Assert.Equal(0, _host.Virsh.CallsTo("destroy"));
        Assert.Equal(30, _host.SecondsSlept);
    }

    [Fact]
    public async Task An_unset_shutdown_timeout_waits_120_s_as_upstream()
    {
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown");

        await _host.RunAsync("shutdown", "one-7");

        Assert.Equal(120, _host.SecondsSlept);
        Assert.Equal(12, _host.Virsh.CallsTo("shutdown"));
    }

    [Fact]
    public async Task With_force_destroy_the_timeout_ends_in_a_destroy_and_success()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "2").WithSetting("FORCE_DESTROY", "yes");
        // 1 check + 2 polls see it running; the checks after the destroy do not find it
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound).On("shutdown").On("destroy");
        for (var call = 1; call <= 3; call++)
        {
            _host.Virsh.On("domstate", stdout: "running\n", call: call);
        }

        var code = await _host.RunAsync("shutdown", "one-7");

        Assert.Equal(0, code);
        Assert.Equal(["domstate", "shutdown", "domstate", "domstate", "destroy"], _host.Virsh.Verbs.Take(5));
        Assert.Equal(1, _host.Virsh.CallsTo("shutdown"));
    }

    [Fact]
    public async Task A_zero_shutdown_timeout_still_looks_once_before_giving_up()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "0");
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown");

        Assert.Equal(1, await _host.RunAsync("shutdown", "one-7"));
        Assert.Equal(["domstate", "shutdown", "domstate"], _host.Virsh.Verbs);
    }

    [Theory]
    [InlineData("paused", "resume")]
    [InlineData("pmsuspended", "dompmwakeup")]
    public async Task A_sleeping_guest_is_woken_first_so_that_it_can_answer_the_acpi_request(string state, string wake)
    {
        _host.Virsh.On("domstate", stdout: state + "\n", call: 1).On("domstate", exit: 1, stderr: NotFound)
            .On(wake).On("shutdown");

        var code = await _host.RunAsync("shutdown", "one-7");

        Assert.Equal(0, code);
        Assert.Equal(["domstate", wake, "shutdown", "domstate"], _host.Virsh.Verbs);
    }

    [Fact]
    public async Task A_paused_guest_that_cannot_be_resumed_is_a_clear_error()
    {
        _host.Virsh.On("domstate", stdout: "paused\n").On("resume", exit: 1, stderr: "error: internal error: unable to execute QEMU command 'cont'\n");

        var code = await _host.RunAsync("shutdown", "one-7");

        Assert.Equal(1, code);
        Assert.Equal("Could not wake paused domain one-7 to shut it down: internal error: unable to execute QEMU command 'cont'.", _host.Sentence);
        Assert.Equal(0, _host.Virsh.CallsTo("shutdown"));
    }

    [Fact]
    public async Task A_domain_that_is_already_gone_is_success_without_any_request()
    {
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound);

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
        Assert.Equal(["domstate"], _host.Virsh.Verbs);
    }

    [Fact]
    public async Task A_domain_that_stops_between_the_check_and_the_request_is_success()
    {
        _host.Virsh.On("domstate", stdout: "running\n", call: 1).On("domstate", exit: 1, stderr: NotFound)
            .On("shutdown", exit: 1, stderr: "error: Failed to shutdown domain 'one-7'\nerror: Requested operation is not valid: domain is not running\n");

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
    }

    [Fact]
    public async Task Cancel_no_acpi_reads_the_features_of_the_domain_xml_not_the_word_acpi_anywhere()
    {
        _host.WithSetting("CANCEL_NO_ACPI", "yes");
        // upstream's grep finds "acpi" in the description and shuts down a domain that cannot answer
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound)
            .On("dumpxml", stdout: "<domain id='3'><name>one-7</name><description>no acpi here</description><features><pae/></features></domain>")
            .On("destroy");

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
        // one dumpxml decides: no domstate before the destroy, one after it to see the domain gone
        Assert.Equal(["dumpxml", "destroy", "domstate"], _host.Virsh.Verbs);
        Assert.Equal(["INFO: shutdown: Domain one-7 has no ACPI; destroying it (CANCEL_NO_ACPI=yes)"], InfoLines);
    }

    [Theory]
    [InlineData("")] // no such domain
    [InlineData("<domain type='kvm'><name>one-7</name><features><pae/></features></domain>")] // defined, shut off: no id
    public async Task Cancel_no_acpi_finds_a_domain_that_is_not_up_in_its_xml_and_sends_nothing(string xml)
    {
        _host.WithSetting("CANCEL_NO_ACPI", "yes");
        if (xml.Length == 0)
        {
            _host.Virsh.On("dumpxml", exit: 1, stderr: NotFound);
        }
        else
        {
            _host.Virsh.On("dumpxml", stdout: xml);
        }

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
        Assert.Equal(["dumpxml"], _host.Virsh.Verbs);
        Assert.Equal(["INFO: shutdown: Domain one-7 is not running; nothing to shut down"], InfoLines);
    }

    [Fact]
    public async Task Cancel_no_acpi_still_shuts_down_a_domain_with_acpi()
    {
        _host.WithSetting("CANCEL_NO_ACPI", "yes");
        _host.Virsh.On("domstate", stdout: "running\n", call: 1).On("domstate", exit: 1, stderr: NotFound)
            .On("dumpxml", stdout: "<domain id='3'><name>one-7</name><features><acpi/></features></domain>").On("shutdown");

        Assert.Equal(0, await _host.RunAsync("shutdown", "one-7"));
        Assert.Equal(["dumpxml", "domstate", "shutdown", "domstate"], _host.Virsh.Verbs);
    }

    [Fact]
    public async Task A_negative_shutdown_timeout_is_a_clear_error_before_anything_is_sent()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "-5");

        Assert.NotEqual(0, await _host.RunAsync("shutdown", "one-7"));
        Assert.Contains("SHUTDOWN_TIMEOUT=\"-5\"", _host.Sentence, StringComparison.Ordinal);
        Assert.Empty(_host.Virsh.Calls);
    }

    [Fact]
    public async Task A_shutdown_timeout_that_is_not_a_number_waits_upstreams_120_s_and_says_so_once()
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "soon");
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown");

        Assert.Equal(1, await _host.RunAsync("shutdown", "one-7"));

        Assert.Equal(120, _host.SecondsSlept);
        var warning = Assert.Single(_host.Host.LogLines, l => l.Contains("SHUTDOWN_TIMEOUT", StringComparison.Ordinal));
        Assert.Equal("WARN: shutdown: kvmrc: SHUTDOWN_TIMEOUT=\"soon\" (environment) is not a whole number of seconds; taken as 120 s, upstream's default", warning);
    }

    /// <summary>Upstream's force_shutdown compares FORCE_DESTROY with "yes": true is no, the timeout is the error, nothing is destroyed.</summary>
    [Theory]
    [InlineData("true")]
    [InlineData("YES")]
    public async Task Force_destroy_other_than_yes_is_no_as_upstream_reads_it_and_one_warning_says_so(string value)
    {
        _host.WithSetting("SHUTDOWN_TIMEOUT", "2").WithSetting("FORCE_DESTROY", value);
        _host.Virsh.On("domstate", stdout: "running\n").On("shutdown");

        Assert.Equal(1, await _host.RunAsync("shutdown", "one-7"));

        Assert.StartsWith("Timed out shutting down one-7", _host.Sentence);
        Assert.Equal(0, _host.Virsh.CallsTo("destroy"));
        var warning = Assert.Single(_host.Host.LogLines, l => l.Contains("FORCE_DESTROY", StringComparison.Ordinal));
        Assert.Equal($"WARN: shutdown: kvmrc: FORCE_DESTROY=\"{value}\" (environment) is not \"yes\"; taken as no, as upstream's scripts compare with \"yes\" exactly", warning);
    }

    public void Dispose() => _host.Dispose();
}
