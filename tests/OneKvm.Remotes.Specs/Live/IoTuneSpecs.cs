using System.Xml.Linq;
using Xunit;
using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Specs.Live;

/// <summary>upstream's iotune rules, one at a time.</summary>
public sealed class IoTuneSpecs
{
    private static Func<string, long?> Values(params (string Name, long Value)[] values) =>
        name => values.Where(v => v.Name == name).Select(v => (long?)v.Value).FirstOrDefault();

    private static readonly Func<string, long?> None = _ => null;

    private static string[] Written(XElement? iotune) =>
        iotune?.Elements().Select(e => $"{e.Name}={e.Value}").ToArray() ?? [];

    [Fact]
    public void Nothing_set_writes_no_iotune() => Assert.Null(IoTune.Build(None, None));

    [Fact]
    public void A_burst_is_written_only_above_its_rate_and_its_length_only_with_it()
    {
        Assert.Equal(["read_bytes_sec=100"], Written(IoTune.Build(Values(("READ_BYTES_SEC", 100), ("READ_BYTES_SEC_MAX", 100), ("READ_BYTES_SEC_MAX_LENGTH", 5)), None)));
        Assert.Equal(["read_bytes_sec=100", "read_bytes_sec_max=101", "read_bytes_sec_max_length=5"],
            Written(IoTune.Build(Values(("READ_BYTES_SEC", 100), ("READ_BYTES_SEC_MAX", 101), ("READ_BYTES_SEC_MAX_LENGTH", 5)), None)));
    }

    [Fact]
    public void A_burst_without_a_rate_counts_from_zero()
    {
        Assert.Equal(["write_iops_sec_max=50"], Written(IoTune.Build(Values(("WRITE_IOPS_SEC_MAX", 50)), None)));
        Assert.Empty(Written(IoTune.Build(Values(("WRITE_IOPS_SEC_MAX", 0)), None)));
    }

    [Fact]
    public void A_total_limit_excludes_the_read_and_write_limits_of_its_kind_only()
    {
        var values = Values(("TOTAL_BYTES_SEC", 10), ("READ_BYTES_SEC", 20), ("WRITE_BYTES_SEC", 30), ("READ_IOPS_SEC", 40));

        Assert.Equal(["total_bytes_sec=10", "read_iops_sec=40"], Written(IoTune.Build(values, None)));
    }

    [Fact]
    public void The_size_of_an_io_counts_only_with_an_iops_limit()
    {
        Assert.Equal(["read_bytes_sec=1"], Written(IoTune.Build(Values(("READ_BYTES_SEC", 1), ("SIZE_IOPS_SEC", 4096)), None)));
        Assert.Equal(["total_iops_sec=9", "size_iops_sec=4096"], Written(IoTune.Build(Values(("TOTAL_IOPS_SEC", 9), ("SIZE_IOPS_SEC", 4096)), None)));
    }

    [Fact]
    public void A_length_or_a_size_alone_writes_nothing() =>
        Assert.Null(IoTune.Build(Values(("TOTAL_BYTES_SEC_MAX_LENGTH", 5), ("SIZE_IOPS_SEC", 4096)), None));

    [Fact]
    public void Each_attribute_the_disk_lacks_comes_from_its_default() =>
        Assert.Equal(["total_bytes_sec=10", "total_bytes_sec_max=99"],
            Written(IoTune.Build(Values(("TOTAL_BYTES_SEC", 10)), Values(("TOTAL_BYTES_SEC", 1), ("TOTAL_BYTES_SEC_MAX", 99)))));

    // upstream takes the kvmrc TOTAL and silently drops the disk's own READ/WRITE limits
    [Fact]
    public void A_disks_own_read_limit_is_not_displaced_by_a_default_total_limit() =>
        Assert.Equal(["read_bytes_sec=700", "write_bytes_sec=900"],
            Written(IoTune.Build(Values(("READ_BYTES_SEC", 700)), Values(("TOTAL_BYTES_SEC", 5000), ("WRITE_BYTES_SEC", 900)))));
}
