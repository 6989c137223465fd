namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// What lives on the host beside a domain and needs root: NVIDIA vGPU mediated devices
/// (the <c>vgpu</c> helper, CREATE before the domain starts, DELETE after it stopped) and
/// the state of an emulated TPM (the <c>vtpm_setup</c> helper: <c>recover</c> puts
/// &lt;vm dir&gt;/tpm into libvirt's swtpm directory before deploy, <c>backup</c> copies it
/// back before shutdown, because libvirt deletes a transient domain's TPM state when it
/// stops). Each step runs only when its helper is in the remotes tree and may be run
/// (RootHelper), as upstream. Unlike upstream, a failed step before a change is an error
/// (a VM without its vGPU or its TPM keys is not what was asked for), and a backup that
/// fails stops the shutdown before the state is lost.
/// </summary>
internal static class VmHostDevices
{
    public const string TpmDirectory = "tpm";

    /// <summary>
    /// deploy, before virsh create: the vGPU, then the TPM state (from vm.xml's TPM_STATE if
    /// need be). True when a vGPU was created, which a failed create must release again.
    /// </summary>
    public static async Task<bool> PrepareAsync(IProgramHost host, XElement domain, string name, string vmDirectory,
        CancellationToken cancellationToken)
    {
        var vgpu = RootHelper.For(host, RootHelper.Vgpu);
        if (!RequestsVgpu(vmDirectory) || !await vgpu.IsUsableAsync(cancellationToken).ConfigureAwait(false))
        {
            await RestoreTpmAsync(host, domain, name, vmDirectory, cancellationToken).ConfigureAwait(false);
            return false;
        }
        await RunAsync(vgpu, ["CREATE", Path.Combine(vmDirectory, "vm.xml")], $"Could not create the vGPU of {name}",
            cancellationToken).ConfigureAwait(false);
        try
        {
            await RestoreTpmAsync(host, domain, name, vmDirectory, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OneKvmException or OperationCanceledException)
        {
            await ReleaseVgpuAsync(host, name, vmDirectory).ConfigureAwait(false);
            throw;
        }
        return true;
    }

    private static async Task RestoreTpmAsync(IProgramHost host, XElement domain, string name, string vmDirectory,
        CancellationToken cancellationToken)
    {
        var tpm = Path.Combine(vmDirectory, TpmDirectory);
        if (!Directory.Exists(tpm))
        {
            await ExtractTemplateStateAsync(host, vmDirectory, cancellationToken).ConfigureAwait(false);
        }
        if (!Directory.Exists(tpm))
        {
            return;
        }
        var uuid = domain.Element("uuid")?.Value.Trim();
        var vtpm = RootHelper.For(host, RootHelper.Vtpm);
        if (string.IsNullOrEmpty(uuid) || !await vtpm.IsUsableAsync(cancellationToken).ConfigureAwait(false))
        {
            host.Logger.VtpmStateNotRestored(tpm, string.IsNullOrEmpty(uuid)
                ? "the domain XML has no <uuid>"
                : $"{vtpm.Path} is missing or not allowed through sudo");
            return;
        }
        await RunAsync(vtpm, ["recover", uuid, vmDirectory], $"Could not restore the vTPM state of {name} from {tpm}",
            cancellationToken).ConfigureAwait(false);
        host.Logger.VtpmStateRestored(name, tpm);
    }

    /// <summary>
    /// shutdown and cancel, while the domain still exists: the VM directory the vGPU helper
    /// needs afterwards; null when there is no vgpu helper to run or no domain any more.
    /// </summary>
    public static async Task<string?> VgpuVmDirectoryAsync(IProgramHost host, DomainReadings readings, CancellationToken cancellationToken)
    {
        var domain = readings.Domain;
        if (!await RootHelper.For(host, RootHelper.Vgpu).IsUsableAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        try
        {
            var directory = await readings.VmDirectoryAsync(cancellationToken).ConfigureAwait(false);
            if (directory is null)
            {
                host.Logger.VgpuNotReleased(domain, "no OpenNebula metadata names its VM directory");
            }
            return directory is not null && RequestsVgpu(directory) ? directory : null;
        }
        catch (VirshException e) when (e.IsDomainNotFound)
        {
            return null;
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not read the OpenNebula metadata of domain {domain}", e);
        }
    }

    /// <summary>shutdown, before the request: the TPM state into &lt;vm dir&gt;/tpm, or the shutdown does not happen.</summary>
    public static async Task BackUpTpmAsync(IProgramHost host, DomainReadings readings, CancellationToken cancellationToken)
    {
        var vtpm = RootHelper.For(host, RootHelper.Vtpm);
        if (!await vtpm.IsUsableAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }
        var domain = readings.Domain;
        var root = await readings.XmlAsync(cancellationToken).ConfigureAwait(false);
        if (root.Element("devices")?.Elements("tpm").Any(t => (string?)t.Element("backend")?.Attribute("type") == "emulator") != true)
        {
            return;
        }
        var uuid = root.Element("uuid")?.Value.Trim() ?? "";
        string vmDirectory;
        try
        {
            vmDirectory = await readings.VmDirectoryAsync(cancellationToken).ConfigureAwait(false) ?? throw new OneKvmException(
                $"Could not back up the vTPM state of {domain}: it has no OpenNebula metadata naming its VM directory; it was not shut down.");
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure($"Could not read the OpenNebula metadata of domain {domain}", e);
        }
        await RunAsync(vtpm, ["backup", uuid, vmDirectory],
            $"Could not back up the vTPM state of {domain} to {Path.Combine(vmDirectory, TpmDirectory)} (it was not shut down)",
            cancellationToken).ConfigureAwait(false);
        host.Logger.VtpmStateBackedUp(domain, Path.Combine(vmDirectory, TpmDirectory));
    }

    /// <summary>After the domain stopped: its vGPU goes. A failure is a warning: the VM is off either way.</summary>
    public static async Task ReleaseVgpuAsync(IProgramHost host, string domain, string? vmDirectory)
    {
        if (vmDirectory is null)
        {
            return;
        }
        try
        {
            await RootHelper.For(host, RootHelper.Vgpu)
                .RunAsync(["DELETE", Path.Combine(vmDirectory, "vm.xml")], CancellationToken.None).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            host.Logger.VgpuNotReleased(domain, e.Message);
        }
    }

    /// <summary>
    /// Whether vm.xml asks for a vGPU (a PCI device with a UUID): only then is the vgpu helper
    /// run, which saves a sudo and a process on every other deploy and stop (upstream ran it
    /// for every VM, to do nothing). A vm.xml that cannot be read is left to the helper to report.
    /// </summary>
    private static bool RequestsVgpu(string vmDirectory)
    {
        try
        {
            return VmXml(Path.Combine(vmDirectory, "vm.xml")) is { } root && RootHelpers.MediatedDevice.Requested(root).Any();
        }
        catch (Exception e) when (e is OneKvmException or IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>
    /// vm.xml's text, null when there is none; only a regular file of at most the vgpu helper's
    /// bound is read: a FIFO or a link to /dev/zero left there is refused at once.
    /// </summary>
    internal static string? ReadVmXml(string vmXml) => RegularFile.TryReadText(vmXml, "vm.xml", RootHelpers.VgpuAction.VmFileLimit);

    private static XElement? VmXml(string vmXml) => ReadVmXml(vmXml) is { } text ? SafeXml.Parse(text, vmXml).Root! : null;

    private static async Task RunAsync(RootHelper helper, string[] arguments, string failure, CancellationToken cancellationToken)
    {
        try
        {
            await helper.RunAsync(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            throw new OneKvmException($"{failure}: {e.Message}.", e);
        }
    }

    /// <summary>
    /// After a backup restore the VM directory has no tpm/ yet, but vm.xml's
    /// USER_TEMPLATE/TPM_STATE holds it (base64 of a tar.gz). tar refuses absolute and
    /// ".." member names by default; failures are warnings, as the state is optional.
    /// </summary>
    private static async Task ExtractTemplateStateAsync(IProgramHost host, string vmDirectory, CancellationToken cancellationToken)
    {
        var vmXml = Path.Combine(vmDirectory, "vm.xml");
        string? encoded;
        try
        {
            encoded = VmXml(vmXml)?.Element("USER_TEMPLATE")?.Element("TPM_STATE")?.Value.Trim();
        }
        catch (Exception e) when (e is OneKvmException or IOException or UnauthorizedAccessException)
        {
            host.Logger.VtpmTemplateStateUnreadable(vmXml, e.Message.TrimEnd('.'));
            return;
        }
        if (string.IsNullOrEmpty(encoded))
        {
            return;
        }
        byte[] archive;
        try
        {
            archive = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            host.Logger.VtpmTemplateStateUnreadable(vmXml, "TPM_STATE is not base64");
            return;
        }
        var unpack = ProgramCommand.Tool("tar", "-xzf", "-", "-C", vmDirectory, "--no-same-owner", "--", TpmDirectory)
            .WithStandardInput(archive).WithDeadline(host.VirshTimeout);
        var tar = await host.Programs.RunAsync(unpack, cancellationToken).ConfigureAwait(false);
        if (!tar.Succeeded)
        {
            host.Logger.VtpmTemplateStateUnreadable(vmXml, "tar: " + tar.Reason());
        }
    }
}
