namespace OneKvm.Remotes.Live;

/// <summary>
/// Hot-plugs one device element and makes sure that a failed attach leaves nothing
/// attached. libvirt undoes a hot-plug QEMU refused, but a virsh killed at VIRSH_TIMEOUT
/// leaves libvirtd to finish the job: when the device turns out to be in the domain after
/// a failure and was not in it before, it is detached again. Without the domain as it was
/// before (a disk whose target libvirt itself refuses to duplicate), only a timeout leads
/// to that check: any other refusal of libvirt attached nothing.
/// </summary>
internal static class DeviceAttach
{
    /// <param name="before">The domain as read before the attach, if it was.</param>
    /// <param name="device">What is attached, for logs and errors ("disk vdb").</param>
    /// <param name="failure">The start of the error sentence ("Could not attach ... to ...").</param>
    public static async Task RunAsync(VirshRunner virsh, ILogger logger, string domain, LiveDomain? before, string device, string failure,
        XElement xml, Func<LiveDomain, XElement?> find, CancellationToken cancellationToken)
    {
        if (before is not null && find(before) is not null)
        {
            throw new OneKvmException($"{failure}: the domain already has {device}.");
        }
        try
        {
            var attach = Command("attach-device", domain, xml);
            await virsh.RunAsync(PassesThrough(xml) ? attach.WithoutDeadline() : attach, cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            logger.AttachingXml(domain, xml.ToString(SaveOptions.DisableFormatting));
            var failed = VirshRunnerExtensions.ActionFailure(failure, e);
            throw before is null && e is not VirshTimeoutException
                ? failed
                : await RollBackAsync(virsh, logger, domain, device, failed, find, cancellationToken).ConfigureAwait(false);
        }
    }

    public static ProgramCommand DetachCommand(string domain, XElement device) => Command("detach-device", domain, device);

    /// <summary>
    /// A host device handed to the guest (PCI passthrough, an SR-IOV function, a mediated
    /// device): QEMU maps and pins all of the guest's memory for it, so the attach lasts as
    /// long as the guest is large, like a start. VIRSH_TIMEOUT does not bound it.
    /// </summary>
    public static bool PassesThrough(XElement device) =>
        device.Name.LocalName == "hostdev"
        || (device.Name.LocalName == "interface" && (string?)device.Attribute("type") == "hostdev");

    private static ProgramCommand Command(string verb, string domain, XElement device) =>
        VirshCommand.Create(verb, "--domain", domain, "--file", "/dev/stdin").WithStandardInput(device.ToString(SaveOptions.DisableFormatting));

    private static async Task<OneKvmException> RollBackAsync(VirshRunner virsh, ILogger logger, string domain, string device,
        OneKvmException failed, Func<LiveDomain, XElement?> find, CancellationToken cancellationToken)
    {
        LiveDomain after;
        try
        {
            after = await LiveDomain.ReadAsync(virsh, domain, cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException)
        {
            return failed;
        }
        if (find(after) is not { } attached)
        {
            return failed;
        }
        logger.RollingBack(device);
        try
        {
            await DeviceDetach.For(virsh, logger, domain, device, DetachCommand(domain, attached), l => find(l) is not null)
                .RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            return new OneKvmException(
                $"{failed.Message.TrimEnd('.')}; yet {device} is attached, and detaching it again failed: {e.Message}", failed);
        }
        return failed;
    }
}
