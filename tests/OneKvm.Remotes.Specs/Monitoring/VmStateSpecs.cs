using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class VmStateSpecs
{
    // libvirt state and reason as virsh domstate --reason words them, and what upstream made of them:
    // the state probe's STATE (im_mad lib/kvm.rb), whether it reported I/O counters, the 5.x poll letter
    public static TheoryData<string, int, int, string, bool, char> Mapping => new()
    {
        { "running (booted)", 1, 1, "RUNNING", true, 'a' },
        { "idle", 2, 0, "RUNNING", true, 'a' },
        { "in shutdown (user)", 4, 1, "RUNNING", true, 'a' },
        { "crashed (panicked)", 6, 1, "FAILURE", false, 'e' },
        { "pmsuspended (unknown)", 7, 0, "SUSPENDED", false, 'e' },
        { "paused (user)", 3, 1, "SUSPENDED", false, 'e' },
        { "paused (migrating)", 3, 2, "RUNNING", false, 'a' },
        { "paused (saving)", 3, 3, "RUNNING", false, 'a' },
        { "paused (starting up)", 3, 11, "RUNNING", false, 'a' },
        { "paused (I/O error)", 3, 5, "FAILURE", false, 'e' },
        { "paused (watchdog)", 3, 6, "FAILURE", false, 'e' },
        { "paused (crashed)", 3, 10, "FAILURE", false, 'e' },
        { "paused (post-copy failed)", 3, 13, "FAILURE", false, 'e' },
        { "paused (unknown)", 3, 0, "FAILURE", false, 'e' },
        { "paused (dumping)", 3, 4, "UNKNOWN", false, 'a' },
        { "paused (from snapshot)", 3, 7, "UNKNOWN", false, 'a' },
        { "paused (shutting down)", 3, 8, "UNKNOWN", false, 'a' },
        { "paused (creating snapshot)", 3, 9, "UNKNOWN", false, 'a' },
        { "paused (post-copy)", 3, 12, "UNKNOWN", false, 'a' },
        { "paused (api error)", 3, 14, "UNKNOWN", false, 'a' },
        { "shut off (destroyed)", 5, 2, "UNKNOWN", false, '-' },
        { "no state", 0, 0, "UNKNOWN", false, '-' },
        { "(no state field)", -1, -1, "UNKNOWN", false, '-' },
    };

    [Theory]
    [MemberData(nameof(Mapping))]
    public void The_libvirt_state_maps_as_upstream_maps_it(string virsh, int state, int reason, string expected,
        bool counters, char letter)
    {
        Assert.True(expected == VmState.OpenNebulaState(state, reason), $"{virsh}: STATE");
        Assert.True(counters == VmState.CountersApply(state, reason), $"{virsh}: counters");
        Assert.True(letter == VmState.LegacyLetter(state, reason), $"{virsh}: legacy letter");
    }

    [Theory]
    [InlineData("one-0", 0)]
    [InlineData("one-42", 42)]
    [InlineData("one-900010001", 900010001)]
    public void OpenNebula_domains_are_named_one_and_their_vm_id(string name, int id) =>
        Assert.Equal(id, OneVmName.IdOf(name));

    [Theory]
    [InlineData("one-")]
    [InlineData("one-7a")]
    [InlineData("one-7-b")]
    [InlineData("one--7")]
    [InlineData("one-+7")]
    [InlineData("One-7")]
    [InlineData("onekvm-t-1-x-2")]
    [InlineData("one-99999999999")]
    [InlineData("one-٣")]
    public void Any_other_name_is_a_foreign_domain(string name) =>
        Assert.Null(OneVmName.IdOf(name));

    [Theory]
    [InlineData("one-007")]
    [InlineData("one-07")]
    [InlineData("one-00")]
    public void A_vm_id_with_a_leading_zero_is_not_a_name_oned_gives_so_one_007_is_never_reported_as_vm_7(string name) =>
        Assert.Null(OneVmName.IdOf(name));
}
