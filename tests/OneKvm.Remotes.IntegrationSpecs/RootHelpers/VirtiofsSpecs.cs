using System.Text.RegularExpressions;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.RootHelpers;

/// <summary>
/// virtiofsd.sh, the entry oned names in a FILESYSTEM disk's &lt;binary path&gt;: libvirt starts
/// it as root, it runs the real virtiofsd (QEMU's, /usr/lib/qemu/virtiofsd on Debian 12) and
/// the tiny guest mounts the share (kernel command line onekvm.virtiofs=TAG) and prints the
/// first line of each file in it. The domain XML is shaped as oned writes it
/// (src/vmm/LibVirtDriverKVM.cc: shared memfd memory, cache always, sandbox namespace, xattr).
/// </summary>
public sealed class VirtiofsSpecs
{
    private const string Tag = "onefs";

    [Fact]
    public async Task A_guest_reads_a_file_the_host_wrote_in_a_datastore_directory_shared_through_virtiofsd_sh()
    {
        using var share = new NodeVmDirectory("-share");
        var token = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(share.Path, "greeting"), $"written by the host {token}\n");
        var console = Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log");
        var xml = SharedGuest(TestNames.Domain("virtiofs"), console, share.Path);

        await using var domain = await TestDomain.StartAsync(xml);

        Assert.True(await WaitForAsync(() => File.Exists(console) && File.ReadAllText(console).Contains("ONEKVM-GUEST-READY", StringComparison.Ordinal),
            TinyGuest.BootTimeout), "the guest did not boot:\n" + (File.Exists(console) ? File.ReadAllText(console) : ""));
        Assert.Contains($"ONEKVM-GUEST-SHARE-FILE greeting written by the host {token}", File.ReadAllText(console));
        // what libvirt started became QEMU's virtiofsd (exec: the pid libvirt knows), with none of libvirtd's environment
        // (its sandbox=namespace forks a second process)
        var virtiofsd = ProcessesWithArgument($"source={share.Path},").ToList();
        Assert.NotEmpty(virtiofsd);
        Assert.All(virtiofsd, pid =>
        {
            Assert.Equal("/usr/lib/qemu/virtiofsd", new FileInfo($"/proc/{pid}/exe").LinkTarget);
            Assert.Equal(["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "LC_ALL=C"],
                File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries));
        });
    }

    [Fact]
    public async Task A_share_outside_the_datastores_is_refused_in_libvirts_virtiofsd_log_and_the_domain_does_not_start()
    {
        var outside = TestPaths.NewScratchDirectory("virtiofs-outside");
        var name = TestNames.Domain("virtiofs-out");
        var xml = SharedGuest(name, Path.Combine(TestPaths.RunDirectory, $"console-{Guid.NewGuid():N}.log"), outside);
        var file = Path.Combine(TestPaths.RunDirectory, $"domain-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(file, xml.ToString());
        try
        {
            var create = await TestVirsh.RunAsync("create", file);

            Assert.NotEqual(0, create.ExitCode);
            Assert.Null(await TestVirsh.StateAsync(name));
            var log = await File.ReadAllTextAsync($"/var/log/libvirt/qemu/{name}-fs0-virtiofsd.log");
            Assert.Contains($"virtiofsd.sh refused to share '{outside}': it is not a directory below /var/lib/one/datastores/<datastore id>/.", log);
        }
        finally
        {
            await TestDomain.RemoveAsync(name);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task A_symlink_below_the_datastore_is_refused_before_virtiofsd_runs()
    {
        using var share = new NodeVmDirectory("-link");
        var link = Path.Combine(share.Path, "etc");
        File.CreateSymbolicLink(link, "/etc");

        var result = await ProcessRun.RunAsync(TestPaths.Entry("vmm/kvm/virtiofsd.sh"), ["--fd=3", "-o", $"source={link},cache=always,xattr"]);

        Assert.Equal($"virtiofsd.sh refused to share '{link}': {link} is a symbolic link, which a root helper does not follow.",
            ProtocolAssert.Failed(result));
    }

    [Fact]
    public async Task A_virtiofsd_binary_that_oneadmin_could_replace_is_not_run_as_root()
    {
        using var share = new NodeVmDirectory("-bin");
        var scratch = TestPaths.NewScratchDirectory("virtiofs-kvmrc");
        var remotes = Path.Combine(scratch, "remotes");
        var copy = await ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes, remotes]);
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var planted = Path.Combine(scratch, "virtiofsd");
        await File.WriteAllTextAsync(planted, "#!/bin/sh\ntouch \"$0.ran\"\n");
        File.SetUnixFileMode(planted, (UnixFileMode)0b111_101_101);
        var chown = await ProcessRun.RunAsync("chown", ["65534", planted]);
        Assert.True(chown.ExitCode == 0, chown.ToString());
        await File.WriteAllTextAsync(Path.Combine(remotes, "etc", "vmm", "kvm", "kvmrc"), $"VIRTIOFSD_BINARY_PATH=\"{planted}\"\n");

        var result = await ProcessRun.RunAsync(Path.Combine(remotes, "vmm", "kvm", "virtiofsd.sh"), ["--fd=3", "-o", $"source={share.Path}"]);

        Assert.Equal($"virtiofsd.sh refused to run {planted}: {planted} is not root's alone to change (owner uid 65534, mode 755), and it would run as root.",
            ProtocolAssert.Failed(result));
        Assert.False(File.Exists(planted + ".ran"));
        Directory.Delete(scratch, recursive: true);
    }

    private static DomainXml SharedGuest(string name, string console, string source) =>
        DomainXml.TinyGuest(name, console, $"onekvm.virtiofs={Tag}")
            .WithElement(new XElement("memoryBacking",
                new XElement("source", new XAttribute("type", "memfd")),
                new XElement("access", new XAttribute("mode", "shared"))))
            .WithDevice(new XElement("filesystem", new XAttribute("type", "mount"), new XAttribute("accessmode", "passthrough"),
                new XElement("driver", new XAttribute("type", "virtiofs"), new XAttribute("queue", 1024)),
                new XElement("binary", new XAttribute("path", TestPaths.Entry("vmm/kvm/virtiofsd.sh")), new XAttribute("xattr", "on"),
                    new XElement("cache", new XAttribute("mode", "always")),
                    new XElement("sandbox", new XAttribute("mode", "namespace"))),
                new XElement("source", new XAttribute("dir", source)),
                new XElement("target", new XAttribute("dir", Tag))));

    private static IEnumerable<int> ProcessesWithArgument(string fragment)
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            if (Regex.IsMatch(commandLine, Regex.Escape(fragment)))
            {
                yield return pid;
            }
        }
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(200);
        }
        return false;
    }
}
