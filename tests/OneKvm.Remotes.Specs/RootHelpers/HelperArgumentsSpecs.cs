using System.Xml.Linq;
using OneKvm.Remotes.RootHelpers;
using Xunit;

namespace OneKvm.Remotes.Specs.RootHelpers;

/// <summary>What the root helpers accept as arguments, before they touch anything as root.</summary>
public sealed class HelperArgumentsSpecs
{
    [Theory]
    [InlineData("/var/lib/one//datastores/0/7", "/var/lib/one/datastores/0/7")] // as OpenNebula's metadata writes it
    [InlineData("/var/lib/one/datastores/102/4711/", "/var/lib/one/datastores/102/4711")]
    public void A_vm_directory_under_the_datastores_is_taken_without_repeated_slashes(string given, string taken) =>
        Assert.Equal(taken, HelperArguments.VmDirectory("h", given));

    [Theory]
    [InlineData("/var/lib/one/datastores/0/7/..")]
    [InlineData("/var/lib/one/datastores/0/./7")]
    [InlineData("/var/lib/one/datastores/0")]
    [InlineData("/var/lib/one/datastores/0/7/tpm")]
    [InlineData("/var/lib/one/datastores/x/7")]
    [InlineData("/var/lib/one/datastores/0/7\n")]
    [InlineData("/etc")]
    [InlineData("var/lib/one/datastores/0/7")]
    public void Anything_else_is_refused_as_a_vm_directory(string given)
    {
        var refused = Assert.Throws<RefusedException>(() => HelperArguments.VmDirectory("vtpm_setup", given));
        Assert.Equal($"vtpm_setup refused the VM directory '{given}': it is not /var/lib/one/datastores/<datastore id>/<vm id>.", refused.Message);
        Assert.Equal(1, refused.ExitCode);
    }

    [Theory]
    [InlineData("/var/lib/one/datastores/0/7/vm.xml", true)]
    [InlineData("/var/lib/one/datastores/0/7/deployment.0", false)]
    [InlineData("/var/lib/one/datastores/0/vm.xml", false)]
    [InlineData("vm.xml", false)]
    public void Vm_xml_must_sit_directly_in_a_vm_directory(string given, bool accepted)
    {
        if (accepted)
        {
            Assert.Equal("/var/lib/one/datastores/0/7", HelperArguments.VmDirectoryOfFile("vgpu", given, "vm.xml"));
        }
        else
        {
            Assert.Throws<RefusedException>(() => HelperArguments.VmDirectoryOfFile("vgpu", given, "vm.xml"));
        }
    }

    [Theory]
    [InlineData("5B3A7C1E-2F4D-4E6A-8B9C-0D1E2F3A4B5C", true)]
    [InlineData("5b3a7c1e-2f4d-4e6a-8b9c-0d1e2f3a4b5c", true)]
    [InlineData("5b3a7c1e2f4d4e6a8b9c0d1e2f3a4b5c", false)]
    [InlineData("../../../../etc/x-2f4d-4e6a-8b9c-0d1e2f3a4b5c", false)]
    [InlineData("5b3a7c1e-2f4d-4e6a-8b9c-0d1e2f3a4b5c\n", false)]
    public void A_uuid_is_8_4_4_4_12_hex_digits_and_nothing_more(string given, bool accepted)
    {
        if (accepted)
        {
            Assert.Equal(given, HelperArguments.Uuid("h", given));
        }
        else
        {
            Assert.Throws<RefusedException>(() => HelperArguments.Uuid("h", given));
        }
    }

    [Fact]
    public void Virtiofsd_arguments_name_their_shared_directory_in_either_spelling_with_libvirts_doubled_commas()
    {
        Assert.Equal(["/var/lib/one/datastores/1/a,b"],
            VirtiofsdAction.SharedDirectories(["--fd=40", "-o", "source=/var/lib/one/datastores/1/a,,b,cache=always,sandbox=namespace,xattr"]));
        Assert.Equal(["/x", "/y", "/z"],
            VirtiofsdAction.SharedDirectories(["-osource=/x", "--shared-dir", "/y", "--shared-dir=/z", "--print-capabilities"]));
        Assert.Empty(VirtiofsdAction.SharedDirectories(["--print-capabilities"]));
    }

    [Theory]
    [InlineData("/var/lib/one/datastores/100/share")]
    [InlineData("/var/lib/one/datastores/100/6f1c/inner")]
    public void A_share_below_a_datastore_is_accepted(string given) =>
        Assert.Equal(given, HelperArguments.SharedDirectory("virtiofsd.sh", given));

    [Theory]
    [InlineData("/var/lib/one/datastores/100")]
    [InlineData("/var/lib/one/datastores/100/../../../../etc")]
    [InlineData("/var/lib/one/datastores/abc/share")]
    [InlineData("/srv/share")]
    public void Any_other_share_is_refused(string given) =>
        Assert.StartsWith($"virtiofsd.sh refused to share '{given}'", Assert.Throws<RefusedException>(() => HelperArguments.SharedDirectory("virtiofsd.sh", given)).Message);

    [Fact]
    public void Only_pci_devices_with_a_uuid_are_vgpus_and_sriov_takes_the_first_word_of_the_profile()
    {
        var vm = XElement.Parse("""
            <VM><TEMPLATE>
              <PCI><DOMAIN>0000</DOMAIN><BUS>03</BUS><SLOT>00</SLOT><FUNCTION>0</FUNCTION></PCI>
              <PCI><UUID>5b3a7c1e-2f4d-4e6a-8b9c-0d1e2f3a4b5c</UUID><DOMAIN>0000</DOMAIN><BUS>0A</BUS><SLOT>1f</SLOT><FUNCTION>7</FUNCTION>
                   <PROFILE>558 (NVIDIA A40-12Q)</PROFILE><MDEV_MODE>nvidia</MDEV_MODE></PCI>
            </TEMPLATE></VM>
            """);

        var device = MediatedDevice.Parse("vgpu", Assert.Single(MediatedDevice.Requested(vm)));

        Assert.Equal(new MediatedDevice("5b3a7c1e-2f4d-4e6a-8b9c-0d1e2f3a4b5c", "0000:0a:1f.7", "558", Legacy: false), device);
    }
}
