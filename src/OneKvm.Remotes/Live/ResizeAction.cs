using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Live;

/// <summary>
/// resize: changes the memory (balloon, or with MEMORY_RESIZE_MODE=HOTPLUG a DIMM on the
/// domain's NUMA node) and then the VCPUs (live, hot-pluggable) of a running domain,
/// each only when it changed.
/// </summary>
internal sealed class ResizeAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.Vmm("resize", "Change VCPUs and memory of a running domain.",
        [DeployId, VmId, VmHost], ActionEntry.ActionData, ActionEntry.Nothing, () => new ResizeAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var domain = arguments[DeployId];
        var plan = ResizePlan.Read(ActionData.Parse(await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false)));
        if (plan.MemoryMiB is { } memory)
        {
            var growing = plan.PreviousMemoryMiB is not { } before || memory > before;
            // compaction helps the host find memory for a guest that grows; a shrunk guest returned some
            await MemoryCleanup.RunIfAsync(growing && context.Settings.CleanupMemoryOnStart, context, wait: true, cancellationToken)
                .ConfigureAwait(false);
            if (plan.HotplugMemory)
            {
                await ResizeByDimmAsync(context, domain, memory, plan.PreviousMemoryMiB, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await context.Virsh.RunOrFailAsync(
                    VirshCommand.Create("setmem", "--domain", domain, "--size", (memory * 1024).ToString(CultureInfo.InvariantCulture)),
                    $"Could not resize the memory of {domain} to {memory} MiB", cancellationToken).ConfigureAwait(false);
            }
            await MemoryCleanup.RunIfAsync(!growing && context.Settings.CleanupMemoryOnStop, context, wait: false, cancellationToken)
                .ConfigureAwait(false);
        }
        if (plan.Vcpus is { } vcpus)
        {
            await context.Virsh.RunOrFailAsync(
                VirshCommand.Create("setvcpus", "--domain", domain, "--count", vcpus.ToString(CultureInfo.InvariantCulture), "--live", "--hotpluggable"),
                $"Could not resize the VCPUs of {domain} to {vcpus}", cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task ResizeByDimmAsync(DriverContext context, string domain, long memory, long? previous,
        CancellationToken cancellationToken)
    {
        var from = previous ?? throw new OneKvmException(
            $"Could not hot-plug memory into {domain}: the action data has no TEMPLATE/RESIZE/MEMORY, the size to start from.");
        var live = await LiveDomain.ReadAsync(context.Virsh, domain, cancellationToken).ConfigureAwait(false);
        var node = live.FirstNumaCell
            ?? throw new OneKvmException($"Could not hot-plug memory into {domain}: the domain has no NUMA cell to put a DIMM on.");
        // run again after a resize killed once libvirt had plugged or unplugged the DIMM: the domain is already there
        if (MemoryMiB(live) == memory)
        {
            context.Logger.MemoryAlreadyResized(domain, memory);
            return;
        }
        var size = Math.Abs(memory - from);
        if (memory > from)
        {
            await context.Virsh.RunOrFailAsync(
                // the guest's new memory is allocated (and with hugepages preallocated) by the attach itself
                VirshCommand.Create("attach-device", "--domain", domain, "--file", "/dev/stdin", "--live")
                    .WithStandardInput(Dimm.ToXml(size, node).ToString()).WithoutDeadline(),
                $"Could not hot-plug {size} MiB of memory into {domain}", cancellationToken).ConfigureAwait(false);
            return;
        }
        var dimms = live.Devices.Where(d => Dimm.Matches(d, size, node)).ToList();
        if (dimms.Count == 0)
        {
            throw new OneKvmException($"Could not unplug {size} MiB of memory from {domain}: it has no DIMM of that size on NUMA node {node}.");
        }
        await DeviceDetach.For(context.Virsh, context.Logger, domain, $"the DIMM of {size} MiB",
                DeviceAttach.DetachCommand(domain, dimms[0]).WithArguments("--live"),
                l => l.Devices.Count(d => Dimm.Matches(d, size, node)) >= dimms.Count)
            .RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The domain's &lt;memory&gt; (DIMMs included) in MiB; null when it is missing or not in KiB.</summary>
    private static long? MemoryMiB(LiveDomain live) =>
        live.Root.Element("memory") is { } m && (string?)m.Attribute("unit") is null or "KiB"
        && long.TryParse(m.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kib) && kib % 1024 == 0
            ? kib / 1024
            : null;
}
