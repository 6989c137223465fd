using Xunit;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>The small rules of the disk mapping: SCSI target numbers, iothread choice, serials, network hosts.</summary>
public sealed class DiskMappingSpecs
{
    [Theory]
    [InlineData("sda", 0)]
    [InlineData("sdb", 1)]
    [InlineData("sdz", 25)]
    [InlineData("sdaa", 26)]
    [InlineData("sdiv", 255)]
    [InlineData("sdiw", null)]
    [InlineData("sdzzz", null)]
    [InlineData("sd", null)]
    [InlineData("sd1", null)]
    [InlineData("vdb", null)]
    [InlineData("hda", null)]
    public void A_scsi_target_letter_is_its_target_number(string target, int? expected) =>
        Assert.Equal(expected, DiskDefinition.ScsiTargetNumber(target));

    [Theory]
    [InlineData(0, 2L, 3L, null)]
    [InlineData(4, 2L, 9L, 2L)]
    [InlineData(4, 0L, 9L, 2L)]
    [InlineData(4, null, 9L, 2L)]
    [InlineData(4, null, null, 1L)]
    [InlineData(2, 7L, 1L, 2L)]
    public void The_iothread_is_the_wanted_one_or_one_picked_from_the_disk_id_within_the_domains(int domainIoThreads, long? wanted,
        long? diskId, long? expected) =>
        Assert.Equal(expected, DiskDefinition.IoThread(domainIoThreads, wanted, diskId));

    [Theory]
    [InlineData("SN-01.a_b", "SN-01.a_b")]
    [InlineData("a b;c$(rm -rf /)'\"<x>", "abcrm-rfx")]
    [InlineData(";;;", null)]
    [InlineData(null, null)]
    public void A_serial_keeps_letters_digits_dash_dot_and_underscore(string? serial, string? expected) =>
        Assert.Equal(expected, DiskDefinition.Sanitize(serial));

    [Theory]
    [InlineData("mon1", "mon1|")]
    [InlineData("mon1:6789", "mon1|6789")]
    [InlineData("[2001:db8::5]:3300", "2001:db8::5|3300")]
    [InlineData("[2001:db8::5]", "2001:db8::5|")]
    [InlineData("2001:db8::5", "2001:db8::5|")]
    public void A_host_may_carry_a_port_and_be_an_ipv6_address(string entry, string expected)
    {
        var host = Assert.Single(NetworkHosts.Parse(entry));

        Assert.Equal(expected, $"{(string?)host.Attribute("name")}|{(string?)host.Attribute("port")}");
    }

    [Fact]
    public void Hosts_are_separated_by_blanks_and_carry_the_transport() =>
        Assert.Equal(["a:1:tcp", "b::tcp"],
            NetworkHosts.Parse(" a:1\tb ", "tcp").Select(h => $"{h.Attribute("name")?.Value}:{h.Attribute("port")?.Value}:{h.Attribute("transport")?.Value}"));
}
