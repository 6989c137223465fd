using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;
using static OneKvm.Remotes.IntegrationSpecs.Live.LiveChecks;

namespace OneKvm.Remotes.IntegrationSpecs.Live;

/// <summary>The tiny guest with room to grow: 2 VCPUs of which 1 is online, a NUMA cell and DIMM slots.</summary>
public sealed class ResizableGuest : TinyGuest
{
    protected override DomainXml Xml => WithRoomToGrow(base.Xml);

    /// <summary>Adds the DIMM slots and the NUMA cell a memory and VCPU hot-plug need.</summary>
    public static DomainXml WithRoomToGrow(DomainXml xml) => xml.Transform(d =>
    {
        d.Add(new XElement("maxMemory", new XAttribute("slots", 4), new XAttribute("unit", "MiB"), 1024));
        d.Add(new XElement("cpu", new XElement("numa",
            new XElement("cell", new XAttribute("id", 0), new XAttribute("cpus", "0-1"), new XAttribute("memory", 256), new XAttribute("unit", "MiB")))));
    });
}

/// <summary>resize on a running guest: VCPUs hot-plugged, memory ballooned and hot-plugged as a DIMM; the guest reports each.</summary>
public sealed class LiveResizeSpecs(ResizableGuest guest) : IClassFixture<ResizableGuest>
{
    private static string Resize(int vcpu, long memory, int oldVcpu, long oldMemory, string? mode = null)
    {
        var vm = VmDocument.Create(TestNames.OneVmId()).WithTemplateValue("VCPU", vcpu).WithTemplateValue("MEMORY", memory)
            .With(VmDocument.Vector("RESIZE", ("VCPU", oldVcpu), ("MEMORY", oldMemory)));
        return (mode is null ? vm : vm.WithTemplateValue("MEMORY_RESIZE_MODE", mode)).ToString();
    }

    private async Task<(int Vcpus, long MemoryMiB)> CurrentAsync()
    {
        var vcpus = int.Parse((await TestVirsh.CheckedAsync("vcpucount", guest.Name, "--live", "--active")).Trim(), CultureInfo.InvariantCulture);
        var kib = long.Parse((await DomainAsync(guest.Name)).Element("currentMemory")!.Value, CultureInfo.InvariantCulture);
        return (vcpus, kib / 1024);
    }

    private long LastMem() => long.Parse(Regex.Matches(guest.Console, @"ONEKVM-GUEST-MEM (\d+)")[^1].Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_second_vcpu_is_hot_plugged_and_the_guest_brings_it_online()
    {
        var (vcpus, memory) = await CurrentAsync();
        Assert.Equal(1, vcpus);
        var before = Count(guest, "ONEKVM-GUEST-CPUS 2");

        var result = await Driver.Staged.RunWithStdinAsync("resize", Resize(2, memory, 1, memory), guest.Name, "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(2, (await CurrentAsync()).Vcpus);
        await WaitForNewLineAsync(guest, "ONEKVM-GUEST-CPUS 2", before);
    }

    [Fact]
    public async Task The_balloon_takes_memory_from_the_guest_when_it_shrinks()
    {
        var (vcpus, memory) = await CurrentAsync();
        var guestMem = LastMem();
        var before = Count(guest, @"ONEKVM-GUEST-MEM \d+");

        var result = await Driver.Staged.RunWithStdinAsync("resize", Resize(vcpus, memory - 64, vcpus, memory), guest.Name, "7", "localhost");

        ProtocolAssert.Succeeded(result);
        var line = await WaitForNewLineAsync(guest, @"ONEKVM-GUEST-MEM (\d+)", before);
        Assert.True(long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) < guestMem, $"MemTotal did not shrink: {line.Value}");
        // libvirt learns the balloon's size from QEMU's events, a moment later
        var deadline = DateTime.UtcNow + GuestTimeout;
        while ((await CurrentAsync()).MemoryMiB > memory - 64 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        Assert.Equal(memory - 64, (await CurrentAsync()).MemoryMiB);
    }

    [Fact]
    public async Task A_dimm_is_hot_plugged_on_the_numa_node_and_the_guest_gets_the_memory()
    {
        var (vcpus, memory) = await CurrentAsync();
        var dimms = (await DomainAsync(guest.Name)).Element("devices")!.Elements("memory").Count();
        var guestMem = LastMem();
        var before = Count(guest, @"ONEKVM-GUEST-MEM \d+");

        var result = await Driver.Staged.RunWithStdinAsync("resize", Resize(vcpus, memory + 128, vcpus, memory, "HOTPLUG"), guest.Name, "7", "localhost");

        ProtocolAssert.Succeeded(result);
        var added = (await DomainAsync(guest.Name)).Element("devices")!.Elements("memory").ToList();
        Assert.Equal(dimms + 1, added.Count);
        Assert.Equal(("dimm", "131072", "0"), ((string?)added[^1].Attribute("model"), added[^1].Element("target")?.Element("size")?.Value,
            added[^1].Element("target")?.Element("node")?.Value));
        var line = await WaitForNewLineAsync(guest, @"ONEKVM-GUEST-MEM (\d+)", before);
        Assert.True(long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) > guestMem, $"MemTotal did not grow: {line.Value}");
    }

    [Fact]
    public async Task A_dimm_is_unplugged_when_the_memory_shrinks_back_and_the_guest_gives_it_up()
    {
        var (vcpus, memory) = await CurrentAsync();
        static int Dimms(XElement domain) => domain.Element("devices")!.Elements("memory")
            .Count(m => m.Element("target")?.Element("size")?.Value == "262144");
        var grown = Count(guest, @"ONEKVM-GUEST-MEM \d+");
        ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("resize", Resize(vcpus, memory + 256, vcpus, memory, "HOTPLUG"), guest.Name, "7", "localhost"));
        Assert.Equal(1, Dimms(await DomainAsync(guest.Name)));
        var withDimm = long.Parse((await WaitForNewLineAsync(guest, @"ONEKVM-GUEST-MEM (\d+)", grown)).Groups[1].Value, CultureInfo.InvariantCulture);
        var shrunk = Count(guest, @"ONEKVM-GUEST-MEM \d+");

        var result = await Driver.Staged.RunWithStdinAsync("resize", Resize(vcpus, memory, vcpus, memory + 256, "HOTPLUG"), guest.Name, "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(0, Dimms(await DomainAsync(guest.Name)));
        var line = await WaitForNewLineAsync(guest, @"ONEKVM-GUEST-MEM (\d+)", shrunk);
        Assert.True(long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture) < withDimm, $"MemTotal did not shrink: {line.Value}");
    }
}
