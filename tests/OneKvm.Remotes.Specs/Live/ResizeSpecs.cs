using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.Specs.Live.LiveKit;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>What resize changes (only what differs from TEMPLATE/RESIZE) and the DIMM it hot-plugs.</summary>
public sealed class ResizeSpecs
{
    private static ResizePlan Plan(VmDocument vm) => ResizePlan.Read(Parse(vm));

    private static VmDocument Resized(object vcpu, object memory, object? oldVcpu, object? oldMemory, string? mode = null)
    {
        var vm = VmDocument.Create(42).WithTemplateValue("VCPU", vcpu).WithTemplateValue("MEMORY", memory);
        if (mode is not null)
        {
            vm = vm.WithTemplateValue("MEMORY_RESIZE_MODE", mode);
        }
        return oldVcpu is null && oldMemory is null ? vm : vm.With(VmDocument.Vector("RESIZE", ("VCPU", oldVcpu), ("MEMORY", oldMemory)));
    }

    [Fact]
    public void Only_the_vcpus_change_when_the_memory_is_the_same() =>
        Assert.Equal(new ResizePlan(4, null, 512, false), Plan(Resized(4, 512, 2, 512)));

    [Fact]
    public void Only_the_memory_changes_when_the_vcpus_are_the_same() =>
        Assert.Equal(new ResizePlan(null, 1024, 512, true), Plan(Resized(2, 1024, 2, 512, "HOTPLUG")));

    [Fact]
    public void Nothing_changes_when_both_are_the_same() =>
        Assert.Equal(new ResizePlan(null, null, 512, false), Plan(Resized(2, 512, 2, 512, "BALLOONING")));

    [Fact]
    public void Without_old_values_both_count_as_changed() =>
        Assert.Equal(new ResizePlan(2, 512, null, false), Plan(Resized(2, 512, null, null)));

    [Fact]
    public void A_size_that_is_not_a_number_is_refused()
    {
        var e = Assert.Throws<OneKvmException>(() => Plan(Resized(2, "1G", 2, 512)));

        Assert.Equal("The VM template has MEMORY=\"1G\", which is not a whole number of 1 or more.", e.Message);
    }

    [Fact]
    public void A_disk_is_grown_in_mib_and_tried_again_while_its_image_is_in_use()
    {
        var command = OneKvm.Remotes.Live.ResizeDiskAction.BlockResize("one-42", "vdb", 2048);

        Assert.Equal(["blockresize", "--domain", "one-42", "--path", "vdb", "--size", "2048M"], command.Arguments.ToArray());
        Assert.Contains("is in use", command.Retry!.RetryOn);
        Assert.Equal(TimeSpan.FromSeconds(5), command.Retry.Delay);
    }

    [Fact]
    public void A_dimm_is_a_size_on_a_numa_node() => Golden.Verify(Dimm.ToXml(128, "0"));

    [Theory]
    [InlineData("<memory model='dimm'><target><size unit='KiB'>131072</size><node>0</node></target></memory>", true)]
    [InlineData("<memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>", true)]
    [InlineData("<memory model='dimm'><target><size unit='KiB'>131072</size><node>1</node></target></memory>", false)]
    [InlineData("<memory model='dimm'><target><size unit='KiB'>262144</size><node>0</node></target></memory>", false)]
    [InlineData("<memory model='nvdimm'><target><size unit='KiB'>131072</size><node>0</node></target></memory>", false)]
    public void A_dimm_of_the_domain_matches_by_size_whatever_the_unit_and_by_node(string xml, bool matches) =>
        Assert.Equal(matches, Dimm.Matches(System.Xml.Linq.XElement.Parse(xml), 128, "0"));
}
