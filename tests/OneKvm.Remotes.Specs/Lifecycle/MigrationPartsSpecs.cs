using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Host;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Xml;
using Xunit;
using OneKvm.Remotes.Migration;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>The pieces of a live migration that need no libvirt: its virsh argv, host names, features and decisions.</summary>
public sealed class MigrationPartsSpecs
{
    private const string Uri = "qemu+ssh://node2/system";

    [Fact]
    public void A_persistent_domain_is_migrated_live_and_its_definition_moves_with_it()
    {
        var command = new MigrateCommand("one-7", Uri, [], new VmMigrationFeatures(null, null, false), Persistent: true, []);

        Assert.Equal(["--live", "--persistent", "--undefinesource", "--domain", "one-7", "--desturi", Uri], command.Arguments());
    }

    [Fact]
    public void A_transient_domain_as_opennebula_deploys_them_leaves_no_definition_anywhere()
    {
        var command = new MigrateCommand("one-7", Uri, ["--unsafe"], new VmMigrationFeatures(null, null, false), Persistent: false, []);

        Assert.Equal(["--live", "--unsafe", "--domain", "one-7", "--desturi", Uri], command.Arguments());
    }

    [Fact]
    public void Kvmrc_options_are_kept_in_order_and_never_given_twice()
    {
        var command = new MigrateCommand("one-7", Uri, ["--live", "--compressed", "--migrateuri", "tcp://10.0.0.2"],
            new VmMigrationFeatures(null, null, Compressed: true), Persistent: true, []);

        Assert.Equal(["--live", "--migrateuri", "tcp://10.0.0.2", "--compressed", "--persistent", "--undefinesource", "--domain", "one-7", "--desturi", Uri],
            command.Arguments());
    }

    [Theory]
    [InlineData("--auto-converge-initial", "5")]
    [InlineData("--auto-converge-initial=5", null)]
    public void The_vms_own_auto_converge_wins_over_the_kvmrc_one_in_either_spelling(string option, string? value)
    {
        string[] kvmrc = value is null ? ["--auto-converge", option, "--unsafe"] : ["--auto-converge", option, value, "--unsafe"];
        var command = new MigrateCommand("one-7", Uri, kvmrc, new VmMigrationFeatures(40, 10, false), Persistent: false, []);

        Assert.Equal(["--live", "--unsafe", "--auto-converge", "--auto-converge-initial", "40", "--auto-converge-increment", "10", "--domain", "one-7", "--desturi", Uri],
            command.Arguments());
    }

    [Fact]
    public void The_migration_has_no_virsh_timeout_because_it_lasts_as_long_as_the_memory_copy()
    {
        var virsh = new MigrateCommand("one-7", Uri, [], new VmMigrationFeatures(null, null, false), true, []).ToVirsh();

        Assert.Equal(Timeout.InfiniteTimeSpan, virsh.Deadline);
    }

    [Theory]
    [InlineData("<FEATURES><MIGRATE_AUTO_CONVERGE>20,5</MIGRATE_AUTO_CONVERGE><MIGRATE_COMPRESSED>yes</MIGRATE_COMPRESSED></FEATURES>", 20, 5, true)]
    [InlineData("<FEATURES><MIGRATE_AUTO_CONVERGE>20</MIGRATE_AUTO_CONVERGE></FEATURES>", 20, null, false)]
    [InlineData("<FEATURES/>", null, null, false)]
    public void The_vm_template_features_choose_auto_converge_and_compression(string features, int? initial, int? increment, bool compressed)
    {
        var data = ActionData.Parse($"<VMM_DRIVER_ACTION_DATA><VM><TEMPLATE>{features}</TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>");

        Assert.Equal(new VmMigrationFeatures(initial, increment, compressed), VmMigrationFeatures.From(data));
    }

    [Theory]
    [InlineData("20;reboot")]
    [InlineData("101")]
    [InlineData("1,2,3")]
    [InlineData("-5")]
    public void A_malformed_auto_converge_is_refused_before_anything_moves(string value)
    {
        var data = ActionData.Parse(
            $"<VMM_DRIVER_ACTION_DATA><VM><TEMPLATE><FEATURES><MIGRATE_AUTO_CONVERGE>{value}</MIGRATE_AUTO_CONVERGE></FEATURES></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>");

        var e = Assert.Throws<OneKvmException>(() => VmMigrationFeatures.From(data));
        Assert.Equal($"FEATURES/MIGRATE_AUTO_CONVERGE=\"{value}\" is not valid: expected initial[,increment], percentages from 0 to 100.", e.Message);
    }

    [Theory]
    [InlineData("qemu+ssh", "node2", "qemu+ssh://node2/system")]
    [InlineData("qemu+tcp", "127.0.0.1:16510", "qemu+tcp://127.0.0.1:16510/system")]
    [InlineData("qemu+tls", "fd00::2", "qemu+tls://[fd00::2]/system")]
    public void The_destination_uri_is_built_from_qemu_protocol_and_the_host(string protocol, string host, string uri) =>
        Assert.Equal(uri, HypervisorUri.For(protocol, host));

    [Theory]
    [InlineData("-oProxyCommand=sh")]
    [InlineData("node2/session")]
    [InlineData("node2 node3")]
    [InlineData("node2?socket=/tmp/x")]
    [InlineData("")]
    public void A_host_that_ssh_or_libvirt_would_read_as_something_else_is_refused(string host)
    {
        var e = Assert.Throws<UsageException>(() => HypervisorUri.CheckHost(host));
        Assert.EndsWith("is not a host name.", e.Message);
    }

    [Fact]
    public void A_qemu_protocol_that_is_not_a_transport_is_a_kvmrc_error()
    {
        var e = Assert.Throws<OneKvmException>(() => HypervisorUri.For("qemu+ssh://evil/", "node2"));
        Assert.StartsWith("QEMU_PROTOCOL=\"qemu+ssh://evil/\" is not valid", e.Message);
    }

    [Fact]
    public void The_remote_command_is_one_quoted_line_after_ssh_options_that_never_prompt()
    {
        var argv = RemoteShell.Arguments("node2", ["sudo", "-n", "sysctl", "vm.drop_caches=3", "it's"], TimeSpan.FromSeconds(60));

        Assert.Equal(["-o", "BatchMode=yes", "-o", "ConnectTimeout=60", "--", "node2", "sudo -n sysctl vm.drop_caches=3 'it'\\''s'"], argv);
    }

    [Theory]
    [InlineData("running (migrated)", "running", "migrated")]
    [InlineData("paused (post-copy)", "paused", "post-copy")]
    [InlineData("shut off\n", "shut off", "")]
    public void Domstate_with_its_reason_is_read(string output, string state, string reason) =>
        Assert.Equal(new ObservedState(state, reason), ObservedState.Parse(output));

    [Fact]
    public void Dominfo_gives_the_uuid_state_and_persistence()
    {
        var info = DomainInfo.Parse("""
            Id:             4
            Name:           one-7
            UUID:           0a6a5e4c-3f4b-4b59-9d55-1d0c0b7c1f10
            OS Type:        hvm
            State:          running
            Persistent:     no

            """);

        Assert.Equal(new DomainInfo("one-7", "0a6a5e4c-3f4b-4b59-9d55-1d0c0b7c1f10", "running", false), info);
        Assert.Null(DomainInfo.Parse("Name: one-7\nState: running\n"));
    }

    [Theory]
    [InlineData("Job type:         Unbounded\nOperation:        Outgoing migration\n", true)]
    [InlineData("Job type:         None\n", false)]
    [InlineData("Job type:         Cancelled\n", false)]
    public void A_migration_job_is_active_while_domjobinfo_says_unbounded(string output, bool active) =>
        Assert.Equal(active, LiveMigration.IsJobActive(output));
}

/// <summary>Where a migration that did not report success left the domain, and what puts it on exactly one host.</summary>
public sealed class MigrationOutcomeSpecs
{
    private static ObservedState? S(string? text) => text is null ? null : ObservedState.Parse(text);

    [Fact]
    public void A_source_paused_after_the_destination_took_over_is_removed_as_confirm_would_have_done()
    {
        var outcome = MigrationOutcome.Decide(S("paused (migrating)"), S("running (migrated)"), wasRunning: true);

        Assert.Equal(new MigrationOutcome(MigratedDomainHost.Destination, RemoveFromSource: true, RemoveFromDestination: false, false, false), outcome);
    }

    [Fact]
    public void An_incoming_copy_that_never_ran_is_removed_and_the_source_resumed()
    {
        var outcome = MigrationOutcome.Decide(S("paused (migrating)"), S("paused (migrating)"), wasRunning: true);

        Assert.Equal(new MigrationOutcome(MigratedDomainHost.Source, false, RemoveFromDestination: true, ResumeOnSource: true, false), outcome);
    }

    [Fact]
    public void A_vm_the_operator_had_paused_stays_paused_after_a_failed_migration()
    {
        var outcome = MigrationOutcome.Decide(S("paused (migrating)"), null, wasRunning: false);

        Assert.Equal(new MigrationOutcome(MigratedDomainHost.Source, false, false, ResumeOnSource: false, false), outcome);
    }

    [Fact]
    public void A_definition_left_shut_off_on_the_source_is_removed_when_the_vm_runs_on_the_destination()
    {
        var outcome = MigrationOutcome.Decide(S("shut off (migrated)"), S("running (migrated)"), wasRunning: true);

        Assert.Equal(new MigrationOutcome(MigratedDomainHost.Destination, RemoveFromSource: true, false, false, false), outcome);
    }

    [Fact]
    public void After_a_failed_post_copy_neither_half_of_the_memory_is_destroyed_or_resumed()
    {
        var outcome = MigrationOutcome.Decide(S("paused (post-copy failed)"), S("paused (post-copy failed)"), wasRunning: true);

        Assert.Equal(new MigrationOutcome(MigratedDomainHost.Split, false, false, false, false), outcome);
    }

    [Fact]
    public void A_vm_on_neither_host_is_reported_not_hidden()
    {
        Assert.Equal(MigratedDomainHost.Neither, MigrationOutcome.Decide(null, S("shut off"), wasRunning: true).Host);
    }
}
