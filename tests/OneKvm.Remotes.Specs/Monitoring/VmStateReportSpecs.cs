using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class VmStateReportSpecs
{
    private const string U1 = "11111111-2222-4333-8444-555555555555";
    private const string U2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    private const long T0 = 1_700_000_000;

    private static string Line(int id, string uuid, string state) => $"VM = [ ID=\"{id}\", DEPLOY_ID=\"{uuid}\", STATE=\"{state}\" ]";

    [Fact]
    public void The_first_run_reports_every_vm_under_a_sync_header()
    {
        var (lines, next) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING"), new(2, U2, "SUSPENDED")], T0, 180);

        Assert.Equal(["SYNC_STATE=yes", "MISSING_STATE=POWEROFF", Line(1, U1, "RUNNING"), Line(2, U2, "SUSPENDED")], lines);
        Assert.Equal(T0, next.LastSync);
    }

    [Fact]
    public void Between_syncs_only_changed_and_new_vms_are_reported()
    {
        var (_, first) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING"), new(2, U2, "RUNNING")], T0, 180);

        var (same, second) = VmStateReport.Compute(first, [new(1, U1, "RUNNING"), new(2, U2, "RUNNING")], T0 + 5, 180);
        var (changed, third) = VmStateReport.Compute(second, [new(1, U1, "SUSPENDED"), new(2, U2, "RUNNING"), new(3, "u3", "RUNNING")], T0 + 10, 180);

        Assert.Empty(same);
        Assert.Equal([Line(1, U1, "SUSPENDED"), Line(3, "u3", "RUNNING")], changed);
        Assert.Equal(T0, third.LastSync);
    }

    [Fact]
    public void Every_sync_interval_all_vms_are_reported_again()
    {
        var (_, first) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING")], T0, 180);

        var (atInterval, _) = VmStateReport.Compute(first, [new(1, U1, "RUNNING")], T0 + 180, 180);
        var (after, next) = VmStateReport.Compute(first, [new(1, U1, "RUNNING")], T0 + 181, 180);

        Assert.Empty(atInterval);
        Assert.Equal(["SYNC_STATE=yes", "MISSING_STATE=POWEROFF", Line(1, U1, "RUNNING")], after);
        Assert.Equal(T0 + 181, next.LastSync);
    }

    [Fact]
    public void A_vanished_vm_keeps_its_state_for_five_polls_then_is_reported_poweroff_once_and_forgotten()
    {
        var (_, store) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING"), new(2, U2, "RUNNING")], T0, 180);
        var reports = new List<IReadOnlyList<string>>();
        for (var poll = 1; poll <= 7; poll++)
        {
            (var lines, store) = VmStateReport.Compute(store, [new(2, U2, "RUNNING")], T0 + poll, 180);
            reports.Add(lines);
        }

        Assert.All(reports.Take(5), Assert.Empty);
        Assert.Equal([Line(1, U1, "POWEROFF")], reports[5]);
        Assert.Empty(reports[6]);
        Assert.Equal([U2], store.Entries.Select(e => e.Uuid));
    }

    [Fact]
    public void A_sync_while_a_vm_is_missing_reports_its_last_state_not_poweroff()
    {
        var (_, store) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "SUSPENDED")], T0, 10);

        var (lines, next) = VmStateReport.Compute(store, [], T0 + 11, 10);

        Assert.Equal(["SYNC_STATE=yes", "MISSING_STATE=POWEROFF", Line(1, U1, "SUSPENDED")], lines);
        Assert.Equal(1, next.Entries.Single().Missing);
    }

    [Fact]
    public void A_vm_that_comes_back_is_no_longer_missing()
    {
        var (_, store) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING")], T0, 180);
        (_, store) = VmStateReport.Compute(store, [], T0 + 1, 180);
        (_, store) = VmStateReport.Compute(store, [], T0 + 2, 180);

        var (lines, next) = VmStateReport.Compute(store, [new(1, U1, "RUNNING")], T0 + 3, 180);

        Assert.Empty(lines);
        Assert.Equal(0, next.Entries.Single().Missing);
    }

    [Fact]
    public void A_vm_recreated_with_a_new_uuid_is_the_same_vm_by_its_id()
    {
        var (_, store) = VmStateReport.Compute(new VmStateStore(), [new(1, U1, "RUNNING")], T0, 180);

        var (lines, next) = VmStateReport.Compute(store, [new(1, U2, "RUNNING")], T0 + 5, 180);

        Assert.Empty(lines);
        Assert.Equal([(1, U2)], next.Entries.Select(e => (e.Id, e.Uuid)));
    }

    [Fact]
    public void Entries_untouched_for_twelve_hours_are_dropped_without_a_report()
    {
        var old = new VmStateStore { LastSync = T0 };
        old.Entries.Add(new VmStateEntry(U1, 1, "RUNNING", 0, T0 - ProbeDbSettings.Shipped.ObsoleteSeconds - 1));

        var (lines, next) = VmStateReport.Compute(old, [], T0 + 1, 180);

        Assert.Empty(lines);
        Assert.Empty(next.Entries);
    }
}
