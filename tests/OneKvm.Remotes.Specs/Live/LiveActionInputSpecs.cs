using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using OneKvm.Remotes.Virsh;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>
/// The live actions run in-process with input they must refuse (or ignore) before
/// asking libvirt anything: virsh is a program that does not exist, so any call to it
/// would turn into a different failure than the one expected.
/// </summary>
public sealed class LiveActionInputSpecs
{
    private static SpecHost Host(string stdin) => new()
    {
        Stdin = stdin,
        Virsh = VirshRunner.Default.WithExecutable("/nonexistent/onekvm-t/virsh"),
    };

    private static string LastLine(SpecHost host) => host.Stderr.ToString().TrimEnd().Split('\n')[^1];

    [Fact]
    public async Task Attaching_a_disk_when_no_disk_is_marked_attach_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).With(VmDocument.Vector("DISK", ("DISK_ID", 0), ("TARGET", "vda"))).ToString());

        var code = await host.RunAsync("attach_disk", "one-42", "/var/lib/one/datastores/0/42/disk.1", "vdb", "1", "b64", "42", "h");

        Assert.Equal(1, code);
        Assert.Equal("The action data has no DISK with ATTACH=YES, so there is no disk to attach.", LastLine(host));
    }

    [Fact]
    public async Task Attaching_a_disk_of_an_unknown_type_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).With(Disk(("TYPE", "TAPE"))).ToString());

        var code = await host.RunAsync("attach_disk", "one-42", "/d/disk.1", "vdb", "1");

        Assert.Equal(1, code);
        Assert.StartsWith("The DISK being attached has TYPE=\"TAPE\", which is not a disk type onekvm knows", LastLine(host));
    }

    [Fact]
    public async Task Attaching_a_nic_whose_mac_carries_shell_metacharacters_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).With(VmDocument.Vector("NIC", ("ATTACH", "YES"), ("MAC", "02:00:00:00:00:01 ; reboot"))).ToString());

        var code = await host.RunAsync("attach_nic", "one-42", "02:00:00:00:00:01 ; reboot", "", "-", "dummy", "");

        Assert.Equal(1, code);
        Assert.StartsWith("The MAC address '02:00:00:00:00:01 ; reboot' of the NIC being attached is not valid", LastLine(host));
    }

    [Fact]
    public async Task Attaching_when_no_nic_or_pci_is_marked_attach_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).With(VmDocument.Vector("NIC", ("MAC", "02:00:00:00:00:01"))).ToString());

        var code = await host.RunAsync("attach_nic", "one-42", "02:00:00:00:00:01", "br0", "-", "bridge", "one-42-0");

        Assert.Equal(1, code);
        Assert.Equal("The action data has no NIC or PCI device with ATTACH=YES, so there is nothing to attach.", LastLine(host));
    }

    [Fact]
    public async Task Detaching_a_nic_by_a_mac_that_is_not_one_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).ToString());

        var code = await host.RunAsync("detach_nic", "one-42", "$(reboot)", "42", "h");

        Assert.Equal(1, code);
        Assert.StartsWith("The MAC address '$(reboot)' given as argument is not valid", LastLine(host));
    }

    [Theory]
    [InlineData("10G", "The size '10G' is not a whole number of MiB.", 2)]
    [InlineData("2048", "The action data has no DISK with DISK_ID=3, so there is no disk to resize.", 1)]
    public async Task Resizing_a_disk_needs_a_size_in_mib_and_that_disk_in_the_action_data(string size, string error, int exitCode)
    {
        var host = Host(VmDocument.Create(42).With(Disk(("DISK_ID", 0), ("TARGET", "vda"))).ToString());

        var code = await host.RunAsync("resize_disk", "one-42", "3", size, "b64", "h", "42", "h");

        Assert.Equal(exitCode, code);
        Assert.Equal(error, LastLine(host));
    }

    [Fact]
    public async Task Hot_plugging_memory_without_the_old_size_fails_before_libvirt()
    {
        var host = Host(VmDocument.Create(42).WithTemplateValue("MEMORY", 1024).WithTemplateValue("MEMORY_RESIZE_MODE", "HOTPLUG").ToString());

        var code = await host.RunAsync("resize", "one-42", "42", "h");

        Assert.Equal(1, code);
        Assert.Equal("Could not hot-plug memory into one-42: the action data has no TEMPLATE/RESIZE/MEMORY, the size to start from.", LastLine(host));
    }

    [Fact]
    public async Task A_resize_that_changes_nothing_asks_libvirt_nothing()
    {
        var host = Host(VmDocument.Create(42).WithTemplateValue("VCPU", 2).WithTemplateValue("MEMORY", 512)
            .With(VmDocument.Vector("RESIZE", ("VCPU", 2), ("MEMORY", 512))).ToString());

        Assert.Equal(0, await host.RunAsync("resize", "one-42", "42", "h"));
    }

    // one_vmm_exec passes '' for the context target of a VM without CONTEXT
    [Theory]
    [InlineData("prereconfigure", new[] { "one-42", "", "42", "h" })]
    [InlineData("reconfigure", new[] { "one-42", "", "", "42", "h" })]
    [InlineData("reconfigure", new[] { "one-42", "hda", "", "42", "h" })]
    public async Task A_vm_without_a_context_cdrom_has_nothing_to_eject_or_insert(string action, string[] args)
    {
        var host = Host(VmDocument.Create(42).ToString());

        Assert.Equal(0, await host.RunAsync(action, args));
    }
}
