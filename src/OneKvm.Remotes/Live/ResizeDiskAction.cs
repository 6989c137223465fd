namespace OneKvm.Remotes.Live;

/// <summary>
/// resize_disk: grows the disk with that DISK_ID (its TARGET from the action data on
/// stdin) with blockresize, trying again while QEMU says the image "is in use", as
/// upstream does (5 s apart, VIRSH_RETRIES attempts).
/// </summary>
internal sealed class ResizeDiskAction : IDriverAction
{
    private static readonly ActionParameter DiskId = new("disk_id", "OpenNebula disk ID");
    private static readonly ActionParameter Size = new("size", "new size in MiB");
    public static readonly ActionEntry Row = ActionEntry.Vmm("resize_disk", "Grow a disk of a running domain.",
        [DeployId, DiskId, Size, ActionDataBase64, ThisHost.Optional(), VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new ResizeDiskAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var diskId = arguments[DiskId];
        var size = arguments[Size];
        if (!long.TryParse(size, NumberStyles.None, CultureInfo.InvariantCulture, out var mib) || mib < 1)
        {
            throw new UsageException($"The size '{size}' is not a whole number of MiB.");
        }
        var data = ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false));
        var disk = data.Template?.Elements("DISK").FirstOrDefault(d => ActionData.Text(d, "DISK_ID") == diskId)
            ?? throw new OneKvmException($"The action data has no DISK with DISK_ID={diskId}, so there is no disk to resize.");
        var target = ActionData.Text(disk, "TARGET")
            ?? throw new OneKvmException($"The DISK with DISK_ID={diskId} has no TARGET, so its device in the domain is unknown.");
        await context.Virsh.RunOrFailAsync(BlockResize(domain, target, mib),
            $"Could not resize disk {diskId} ({target}) of {domain} to {mib} MiB", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>virsh blockresize to a size in MiB, tried again 5 s apart while QEMU says the image "is in use".</summary>
    public static ProgramCommand BlockResize(string domain, string target, long mib) =>
        VirshCommand.Create("blockresize", "--domain", domain, "--path", target, "--size", $"{mib}M").WithoutDeadline()
            .WithRetry(RetryPolicy.Unset.WithRetryOn("is in use").WithDelay(TimeSpan.FromSeconds(5)));
}
