using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using Xunit;

namespace OneKvm.Remotes.Specs.Dispatch;

public sealed class RemotesLocationSpecs
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Theory]
    [InlineData("/var/tmp/one/vmm/kvm/deploy", "deploy", "/var/tmp/one")]
    [InlineData("/srv/custom-remotes/vmm/kvm/save.ceph", "save.ceph", "/srv/custom-remotes")]
    [InlineData("/var/tmp/one/im/kvm-probes.d/vm/monitor/vm_monitor", "vm_monitor", "/var/tmp/one")]
    [InlineData("/var/tmp/one/im/kvm-probes.d/vm/status/vm_state", "vm_state", "/var/tmp/one")]
    [InlineData("/var/tmp/one/vmm/kvm/onekvm", "onekvm", "/var/tmp/one")]
    public void The_kvmrc_is_the_one_of_the_remotes_tree_the_entry_was_started_from(string invokedAs, string entry, string root)
    {
        var location = RemotesLocation.Resolve(invokedAs, ActionTable.Find(entry)!, "/elsewhere/onekvm", NoEnvironment);

        Assert.Equal(root, location.Root);
        Assert.Equal(root + "/etc/vmm/kvm/kvmrc", location.KvmrcPath);
    }

    [Fact]
    public void An_entry_outside_a_remotes_tree_falls_back_to_upstreams_rule()
    {
        var location = RemotesLocation.Resolve("/opt/test/bin/reboot", ActionTable.Find("reboot")!, null, NoEnvironment);

        Assert.Equal("/opt/etc/vmm/kvm/kvmrc", location.KvmrcPath);
    }

    [Fact]
    public void A_relative_path_is_taken_from_the_working_directory_without_resolving_links()
    {
        var location = RemotesLocation.Resolve("./reboot", ActionTable.Find("reboot")!, null, NoEnvironment);

        Assert.Equal(Path.GetFullPath(Path.Combine("..", "..", "etc", "vmm", "kvm", "kvmrc")), location.KvmrcPath);
    }

    [Fact]
    public void A_bare_name_found_on_path_uses_the_binary_the_kernel_started()
    {
        var location = RemotesLocation.Resolve("onekvm", ActionTable.Tool, "/var/lib/one/remotes/vmm/kvm/onekvm", NoEnvironment);

        Assert.Equal("/var/lib/one/remotes/etc/vmm/kvm/kvmrc", location.KvmrcPath);
    }

    [Fact]
    public void The_operators_usr_bin_onekvm_link_uses_the_tree_of_the_binary_it_leads_to()
    {
        // the packages' /usr/bin/onekvm -> /var/lib/one/remotes/vmm/kvm/onekvm, called by its full path
        var location = RemotesLocation.Resolve("/usr/bin/onekvm", ActionTable.Tool, "/var/lib/one/remotes/vmm/kvm/onekvm", NoEnvironment);

        Assert.Equal("/var/lib/one/remotes", location.Root);
        Assert.Equal("/var/lib/one/remotes/etc/vmm/kvm/kvmrc", location.KvmrcPath);
    }

    [Fact]
    public void Onekvm_kvmrc_in_the_environment_overrides_the_path()
    {
        var location = RemotesLocation.Resolve("/var/tmp/one/vmm/kvm/deploy", ActionTable.Find("deploy")!, null,
            n => n == "ONEKVM_KVMRC" ? "/tmp/test-kvmrc" : null);

        Assert.Equal("/tmp/test-kvmrc", location.KvmrcPath);
        Assert.Equal("/var/tmp/one", location.Root);
    }
}
