using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>deploy through the staged entry against the real libvirtd: diskless and UEFI domains.</summary>
public sealed class DeploySpecs
{
    private const string OvmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    private const string OvmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd";
    private const string OvmfVarsMs = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd";

    [Fact]
    public async Task Deploying_writes_the_deployment_file_creates_the_domain_and_answers_its_uuid()
    {
        await using var scratch = new Scratch("deploy");
        var xml = scratch.Diskless("deploy").ToString();
        var file = Path.Combine(scratch.VmDirectory, "new", "deployment.0");

        var result = await Deploy(xml, file);

        ProtocolAssert.Succeeded(result);
        var uuid = result.Stdout.Trim();
        Assert.True(Guid.TryParse(uuid, out _), "the answer is not a UUID: " + result);
        Assert.Equal(uuid, (await TestVirsh.CheckedAsync("domuuid", NameOf(xml))).Trim());
        Assert.Equal("running", await TestVirsh.StateAsync(NameOf(xml)));
        Assert.Equal(xml, await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Disk_links_are_replaced_by_their_targets_in_the_deployment_file_and_the_domain()
    {
        await using var scratch = new Scratch("deploy-links");
        var image = Path.Combine(scratch.Root, "image.qcow2");
        await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]);
        var link = Path.Combine(scratch.VmDirectory, "disk.0");
        File.CreateSymbolicLink(link, image);
        var xml = scratch.Diskless("links").WithDevice(LifecycleXml.FileDisk(link, "qcow2", "vda"));

        var result = await Deploy(xml.ToString(), scratch.DeploymentFile);

        ProtocolAssert.Succeeded(result);
        Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("Resolved 1 disk.N link", StringComparison.Ordinal));
        Assert.Equal(image, DiskSource(XElement.Parse(await File.ReadAllTextAsync(scratch.DeploymentFile))));
        Assert.Equal(image, DiskSource(XElement.Parse(await TestVirsh.DumpXmlAsync(xml.Name))));
    }

    [Fact]
    public async Task A_uefi_domain_gets_its_variables_from_ovmf_nvram_before_it_starts()
    {
        await using var scratch = new Scratch("deploy-nvram");
        var nvram = Path.Combine(scratch.VmDirectory, "vars", $"{scratch.Vm}_VARS.fd");
        var xml = Uefi(scratch, nvram, format: null);

        // the .ms variant, not the default libvirt would copy by itself
        var result = await Deploy(xml.ToString(), scratch.DeploymentFile, $"OVMF_NVRAM={OvmfVarsMs}\n");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(await File.ReadAllBytesAsync(OvmfVarsMs), await File.ReadAllBytesAsync(nvram));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_qcow2_template_is_converted_to_the_raw_variables_file_the_domain_asks_for()
    {
        await using var scratch = new Scratch("deploy-nvram-qcow2");
        var template = Path.Combine(scratch.Root, "VARS.qcow2");
        await ProcessRun.RunAsync("qemu-img", ["convert", "-O", "qcow2", OvmfVarsMs, template]);
        var nvram = Path.Combine(scratch.VmDirectory, $"{scratch.Vm}_VARS.fd");
        var xml = Uefi(scratch, nvram, format: null);

        var result = await Deploy(xml.ToString(), scratch.DeploymentFile, $"OVMF_NVRAM={template}\n");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(await File.ReadAllBytesAsync(OvmfVarsMs), await File.ReadAllBytesAsync(nvram));
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task A_raw_template_is_converted_when_the_domain_asks_for_qcow2_variables()
    {
        await using var scratch = new Scratch("deploy-nvram-fmt");
        var nvram = Path.Combine(scratch.VmDirectory, $"{scratch.Vm}_VARS.qcow2");
        // libvirt 9.0 ignores the format attribute when it starts the domain: the file is what is checked
        var xml = Uefi(scratch, nvram, format: "qcow2");

        var result = await Deploy(xml.ToString(), scratch.DeploymentFile, $"OVMF_NVRAM={OvmfVarsMs}\n");

        ProtocolAssert.Succeeded(result);
        var info = await ProcessRun.RunAsync("qemu-img", ["info", "-U", "--output=json", nvram]);
        Assert.Contains("\"format\": \"qcow2\"", info.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // upstream's qemu-img convert wrote over it
    public async Task An_existing_variables_file_is_never_overwritten(bool templateNeedsConversion)
    {
        await using var scratch = new Scratch("deploy-nvram-keep");
        var nvram = Path.Combine(scratch.VmDirectory, $"{scratch.Vm}_VARS.fd");
        File.Copy(OvmfVars, nvram);
        var template = OvmfVarsMs;
        if (templateNeedsConversion)
        {
            template = Path.Combine(scratch.Root, "VARS.qcow2");
            await ProcessRun.RunAsync("qemu-img", ["convert", "-O", "qcow2", OvmfVarsMs, template]);
        }

        var result = await Deploy(Uefi(scratch, nvram, format: null).ToString(), scratch.DeploymentFile, $"OVMF_NVRAM={template}\n");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(await File.ReadAllBytesAsync(OvmfVars), await File.ReadAllBytesAsync(nvram));
    }

    [Fact]
    public async Task Deploying_a_name_that_is_already_running_fails_and_leaves_that_domain_alone()
    {
        await using var scratch = new Scratch("deploy-twice");
        var xml = scratch.Diskless("twice").ToString();
        var first = await Deploy(xml, scratch.DeploymentFile);
        ProtocolAssert.Succeeded(first);

        var second = await Deploy(xml, Path.Combine(scratch.VmDirectory, "deployment.1"));

        var error = ProtocolAssert.Failed(second);
        Assert.Equal($"Domain {NameOf(xml)} already exists and is running; deploy does not start a second one.", error);
        Assert.Equal(first.Stdout.Trim(), (await TestVirsh.CheckedAsync("domuuid", NameOf(xml))).Trim());
        Assert.Equal("", second.Stdout);
        Assert.False(File.Exists(Path.Combine(scratch.VmDirectory, "deployment.1")));
    }

    [Theory]
    [InlineData("", "Expected the domain XML on stdin, but it is empty.")]
    [InlineData("\u0001\u0002garbage", "The domain XML on stdin is not valid XML")]
    [InlineData("<VMM_DRIVER_ACTION_DATA/>", "The domain XML on stdin has the root <VMM_DRIVER_ACTION_DATA>, not <domain>.")]
    [InlineData("<domain type='kvm'><memory>1</memory></domain>", "The domain XML on stdin has no <name>.")]
    public async Task Garbage_on_stdin_fails_before_anything_is_written(string stdin, string sentence)
    {
        await using var scratch = new Scratch("deploy-garbage");

        var result = await Deploy(stdin, scratch.DeploymentFile);

        Assert.StartsWith(sentence, ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.False(File.Exists(scratch.DeploymentFile));
    }

    [Fact]
    public async Task A_domain_libvirt_refuses_to_start_leaves_nothing_behind()
    {
        await using var scratch = new Scratch("deploy-refused");
        var xml = scratch.Diskless("refused").WithDevice(new XElement("emulator", "/nonexistent/qemu"));

        var result = await Deploy(xml.ToString(), scratch.DeploymentFile);

        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not create domain {xml.Name} from {scratch.DeploymentFile}: ", error, StringComparison.Ordinal);
        Assert.Contains(ProtocolAssert.LogLines(result, "ERROR"), l => l.Contains("virsh --connect qemu:///system create", StringComparison.Ordinal));
        Assert.False(await TestVirsh.ExistsAsync(xml.Name));
    }

    [Fact]
    public async Task A_deployment_file_that_cannot_be_written_is_a_clear_error()
    {
        await using var scratch = new Scratch("deploy-unwritable");
        var notADirectory = Path.Combine(scratch.VmDirectory, "plain-file");
        await File.WriteAllTextAsync(notADirectory, "");
        var file = Path.Combine(notADirectory, "deployment.0");
        var xml = scratch.Diskless("unwritable");

        var result = await Deploy(xml.ToString(), file);

        Assert.StartsWith($"Could not write the deployment file {file}: ", ProtocolAssert.Failed(result), StringComparison.Ordinal);
        Assert.False(await TestVirsh.ExistsAsync(xml.Name));
    }

    [Fact]
    public async Task A_hanging_virsh_is_stopped_by_virsh_timeout()
    {
        await using var scratch = new Scratch("deploy-hang");
        using var fakes = new FakePrograms().WithHangingVirsh();
        var xml = scratch.Diskless("hang");

        var result = await Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=2\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

        var error = ProtocolAssert.Failed(result);
        Assert.Equal($"Could not check whether domain {xml.Name} already exists: virsh domstate did not finish within 2 s (VIRSH_TIMEOUT) and was killed.", error);
        Assert.True(result.Duration < TimeSpan.FromSeconds(30), "not stopped by VIRSH_TIMEOUT: " + result);
        Assert.False(File.Exists(scratch.DeploymentFile));
    }

    /// <summary>A large VM (hugepages, passthrough) takes longer than VIRSH_TIMEOUT to start; upstream waits for it too.</summary>
    [Fact]
    public async Task A_create_that_takes_longer_than_virsh_timeout_is_waited_for()
    {
        await using var scratch = new Scratch("deploy-slow");
        using var fakes = new FakePrograms().WithSlowVirsh("create", seconds: 2);
        var xml = scratch.Diskless("slow");

        var result = await DeployWithOneSecondVirshTimeout(scratch, xml, fakes);

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Contains(fakes.Calls, c => c.StartsWith("virsh ", StringComparison.Ordinal) && c.EndsWith(" done", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_short_call_that_takes_longer_than_virsh_timeout_is_still_killed()
    {
        await using var scratch = new Scratch("deploy-slow-state");
        using var fakes = new FakePrograms().WithSlowVirsh("domstate", seconds: 2);
        var xml = scratch.Diskless("slow-state");

        var result = await DeployWithOneSecondVirshTimeout(scratch, xml, fakes);

        Assert.Equal($"Could not check whether domain {xml.Name} already exists: virsh domstate did not finish within 1 s (VIRSH_TIMEOUT) and was killed.",
            ProtocolAssert.Failed(result));
        Assert.Null(await TestVirsh.StateAsync(xml.Name));
    }

    [Fact]
    public async Task Cleanup_memory_on_start_compacts_memory_before_the_domain_starts()
    {
        await using var scratch = new Scratch("deploy-cleanup");
        using var fakes = new FakePrograms().WithRecordingSysctl();
        var xml = scratch.Diskless("cleanup");

        var result = await Driver.Staged.WithKvmrc("CLEANUP_MEMORY_ON_START=yes\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(["sysctl vm.drop_caches=3 vm.compact_memory=1"], fakes.Calls);
    }

    [Fact]
    public async Task A_memory_cleanup_that_fails_is_a_warning_and_the_domain_still_starts()
    {
        await using var scratch = new Scratch("deploy-cleanup-fails");
        using var fakes = new FakePrograms().WithRecordingSysctl(fails: "sysctl: permission denied on key \"vm.drop_caches\"");
        var xml = scratch.Diskless("cleanup-fails");

        var result = await Driver.Staged.WithKvmrc("CLEANUP_MEMORY_ON_START=yes\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
        Assert.Contains("WARN: deploy: memory cleanup (sysctl vm.drop_caches, vm.compact_memory) failed: " +
            "sysctl: permission denied on key \"vm.drop_caches\"", result.StderrLines);
    }

    private static Task<ProcessResult> DeployWithOneSecondVirshTimeout(Scratch scratch, DomainXml xml, FakePrograms fakes) =>
        Driver.Staged.WithKvmrc("VIRSH_TIMEOUT=1\n").WithPathFirst(fakes.Directory)
            .RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost");

    private static Task<ProcessResult> Deploy(string stdin, string file, string kvmrc = "") =>
        Driver.Staged.WithKvmrc(kvmrc).RunWithStdinAsync("deploy", stdin, file, "localhost", "0", "localhost");

    private static string NameOf(string xml) => (string)XElement.Parse(xml).Element("name")!;

    private static string DiskSource(XElement domain) =>
        (string)domain.Descendants("disk").Single().Element("source")!.Attribute("file")!;

    private static DomainXml Uefi(Scratch scratch, string nvram, string? format)
    {
        Assert.True(File.Exists(OvmfCode), "OVMF is not installed: tests/setup/hypervisor.sh installs the ovmf package");
        var nvramElement = new XElement("nvram", nvram);
        if (format is not null)
        {
            nvramElement.Add(new XAttribute("format", format));
        }
        return scratch.Diskless("uefi").Transform(d =>
        {
            // OVMF stops with an emulation failure under this machine's nested KVM; TCG runs it
            d.SetAttributeValue("type", "qemu");
            var os = d.Element("os")!;
            os.Element("type")!.SetAttributeValue("machine", "q35");
            os.Add(new XElement("loader", new XAttribute("readonly", "yes"), new XAttribute("type", "pflash"), OvmfCode), nvramElement);
        });
    }
}
