using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;
using static OneKvm.Remotes.IntegrationSpecs.Live.LiveChecks;

namespace OneKvm.Remotes.IntegrationSpecs.Live;

/// <summary>prereconfigure and reconfigure swap the context ISO of a real CD-ROM with change-media.</summary>
public sealed class ContextCdromSpecs
{
    private const string ActionData = "<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST></VMM_DRIVER_ACTION_DATA>";

    private static Task<TestDomain> StartAsync(string purpose, string? iso = null) =>
        TestDomain.StartAsync(DomainXml.Diskless(TestNames.Domain(purpose)).WithDevice(
            new XElement("disk", new XAttribute("type", "file"), new XAttribute("device", "cdrom"),
                new XElement("driver", new XAttribute("name", "qemu"), new XAttribute("type", "raw")),
                iso is null ? null : new XElement("source", new XAttribute("file", iso)),
                new XElement("target", new XAttribute("dev", "hda"), new XAttribute("bus", "ide")),
                new XElement("readonly"))));

    private static async Task<string?> MediaAsync(string domain)
    {
        var source = (await DiskAsync(domain, "hda"))?.Element("source");
        return (string?)source?.Attribute("file") ?? (string?)source?.Attribute("dev");
    }

    [Fact]
    public async Task The_context_iso_is_ejected_and_the_rebuilt_one_inserted()
    {
        using var dir = new Scratch("context");
        var old = dir.File("disk.1.iso");
        var rebuilt = dir.File("disk.1");
        await File.WriteAllBytesAsync(old, new byte[64 * 1024]);
        await File.WriteAllBytesAsync(rebuilt, new byte[64 * 1024]);
        await using var domain = await StartAsync("context", old);

        var eject = await Driver.Staged.RunWithStdinAsync("prereconfigure", ActionData, domain.Name, "hda", "7", "localhost");

        ProtocolAssert.Succeeded(eject);
        Assert.Null(await MediaAsync(domain.Name));

        var ejectAgain = await Driver.Staged.RunWithStdinAsync("prereconfigure", ActionData, domain.Name, "hda", "7", "localhost");

        ProtocolAssert.Succeeded(ejectAgain);
        Assert.Null(await MediaAsync(domain.Name));

        var insert = await Driver.Staged.RunWithStdinAsync("reconfigure", ActionData, domain.Name, "hda", rebuilt, "7", "localhost");

        ProtocolAssert.Succeeded(insert);
        Assert.Equal(rebuilt, await MediaAsync(domain.Name));
    }

    // libvirt refuses to eject a CD-ROM that never had media; upstream asks domblklist first
    [Fact]
    public async Task Ejecting_a_cdrom_that_is_already_empty_succeeds()
    {
        await using var domain = await StartAsync("context-empty");

        var result = await Driver.Staged.RunWithStdinAsync("prereconfigure", ActionData, domain.Name, "hda", "7", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.EndsWith($"the CD-ROM hda of {domain.Name} is already empty", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_iso_is_inserted_even_when_the_old_one_was_never_ejected()
    {
        using var dir = new Scratch("context-swap");
        var old = dir.File("old.iso");
        var rebuilt = dir.File("new.iso");
        await File.WriteAllBytesAsync(old, new byte[4096]);
        await File.WriteAllBytesAsync(rebuilt, new byte[4096]);
        await using var domain = await StartAsync("context-swap", old);

        var insert = await Driver.Staged.RunWithStdinAsync("reconfigure", ActionData, domain.Name, "hda", rebuilt, "7", "localhost");

        ProtocolAssert.Succeeded(insert);
        Assert.Equal(rebuilt, await MediaAsync(domain.Name));
    }

    [Fact]
    public async Task A_context_iso_on_a_block_device_is_inserted_as_a_block_source()
    {
        using var dir = new Scratch("context-block");
        string? loop = null;
        try
        {
            var backing = dir.File("lv");
            await File.WriteAllBytesAsync(backing, new byte[1024 * 1024]);
            var losetup = await ProcessRun.RunAsync("losetup", ["--find", "--show", backing]);
            Assert.True(losetup.ExitCode == 0, "losetup failed: " + losetup);
            loop = losetup.Stdout.Trim();
            await using var domain = await StartAsync("context-block");

            var insert = await Driver.Staged.RunWithStdinAsync("reconfigure", ActionData, domain.Name, "hda", loop, "7", "localhost");

            ProtocolAssert.Succeeded(insert);
            var disk = await DiskAsync(domain.Name, "hda");
            Assert.Equal("block", (string?)disk?.Attribute("type"));
            Assert.Equal(loop, (string?)disk?.Element("source")?.Attribute("dev"));

            ProtocolAssert.Succeeded(await Driver.Staged.RunWithStdinAsync("prereconfigure", ActionData, domain.Name, "hda", "7", "localhost"));
        }
        finally
        {
            if (loop is not null)
            {
                await ProcessRun.RunAsync("losetup", ["--detach", loop]);
            }
        }
    }

    [Fact]
    public async Task Ejecting_a_cdrom_the_domain_does_not_have_fails_clearly()
    {
        await using var domain = await StartAsync("context-missing");

        var result = await Driver.Staged.RunWithStdinAsync("prereconfigure", ActionData, domain.Name, "hdz", "7", "localhost");

        Assert.Equal($"Could not eject the CD-ROM hdz of {domain.Name}: No disk found whose source path or target is hdz.", ProtocolAssert.Failed(result));
    }
}
