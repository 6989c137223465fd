using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// A real emulated TPM (swtpm under libvirt) across shutdown and deploy. libvirt deletes a
/// transient domain's TPM state when it stops; OpenNebula keeps it in &lt;vm dir&gt;/tpm through
/// its root helper vtpm_setup, which is onekvm's own entry at the top of the staged remotes
/// tree. It accepts only VM directories under a node's datastores, so these VMs live in
/// /var/lib/one/datastores/0/&lt;test vm id&gt;, removed afterwards.
/// </summary>
public sealed class VtpmStateSpecs
{
    private const string LibvirtTpmStates = "/var/lib/libvirt/swtpm";

    [Fact]
    public async Task The_tpm_state_survives_a_shutdown_and_the_next_deploy_starts_with_it()
    {
        await using var scratch = new Scratch("vtpm", RootHelpers.NodeVmDirectory.Datastores);
        var uuid = Guid.NewGuid().ToString();
        var xml = scratch.Diskless("vtpm").WithoutAcpi()
            .Transform(d => d.Element("name")!.AddAfterSelf(new XElement("uuid", uuid)))
            .WithDevice(new XElement("tpm", new XAttribute("model", "tpm-crb"),
                new XElement("backend", new XAttribute("type", "emulator"), new XAttribute("version", "2.0"))));
        // a guest without ACPI is destroyed at once (CANCEL_NO_ACPI): the backup must come first
        var driver = Driver.Staged.WithKvmrc("CANCEL_NO_ACPI=yes");
        var libvirtState = Path.Combine(LibvirtTpmStates, uuid, "tpm2", "tpm2-00.permall");
        var kept = Path.Combine(scratch.VmDirectory, "tpm", "tpm2-00.permall");

        try
        {
            ProtocolAssert.Succeeded(await driver.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost"));
            Assert.True(File.Exists(libvirtState), "swtpm made no state for the new domain");
            var manufactured = await File.ReadAllBytesAsync(libvirtState);

            var shutdown = await driver.RunWithStdinAsync("shutdown", LifecycleXml.ActionData(scratch.VmId), xml.Name, "localhost", scratch.Vm, "localhost");

            ProtocolAssert.Succeeded(shutdown);
            Assert.Null(await TestVirsh.StateAsync(xml.Name));
            Assert.False(File.Exists(libvirtState), "libvirt kept the state of the stopped transient domain; the test proves nothing");
            Assert.Equal(manufactured, await File.ReadAllBytesAsync(kept));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kept));

            ProtocolAssert.Succeeded(await driver.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost"));

            // a state swtpm had to manufacture again would hold new random seeds
            Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
            Assert.Equal(manufactured, await File.ReadAllBytesAsync(libvirtState));
            // the layout swtpm expects, as vtpm_setup recover made it
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.GetDirectoryName(libvirtState)!));
        }
        finally
        {
            await TestDomain.RemoveAsync(xml.Name);
            if (Directory.Exists(Path.Combine(LibvirtTpmStates, uuid)))
            {
                Directory.Delete(Path.Combine(LibvirtTpmStates, uuid), recursive: true);
            }
        }
    }

    [Fact]
    public async Task A_tpm_state_that_cannot_be_kept_keeps_the_vm_running()
    {
        await using var scratch = new Scratch("vtpm-ro", RootHelpers.NodeVmDirectory.Datastores);
        var xml = scratch.Diskless("vtpm-ro").WithoutAcpi()
            .WithDevice(new XElement("tpm", new XAttribute("model", "tpm-crb"),
                new XElement("backend", new XAttribute("type", "emulator"), new XAttribute("version", "2.0"))));
        var driver = Driver.Staged.WithKvmrc("CANCEL_NO_ACPI=yes");
        ProtocolAssert.Succeeded(await driver.RunWithStdinAsync("deploy", xml.ToString(), scratch.DeploymentFile, "localhost", scratch.Vm, "localhost"));
        await scratch.MakeReadOnlyAsync(scratch.VmDirectory);

        var shutdown = await driver.RunWithStdinAsync("shutdown", LifecycleXml.ActionData(scratch.VmId), xml.Name, "localhost", scratch.Vm, "localhost");

        var error = ProtocolAssert.Failed(shutdown);
        Assert.StartsWith($"Could not back up the vTPM state of {xml.Name} to {scratch.VmDirectory}/tpm (it was not shut down): vtpm_setup backup failed: ", error);
        Assert.Equal("running", await TestVirsh.StateAsync(xml.Name));
    }
}
