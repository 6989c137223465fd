using OneKvm.Remotes.Live.Devices;

namespace OneKvm.Remotes.Live;

/// <summary>
/// What resize changes: TEMPLATE/VCPU and MEMORY are the new values, TEMPLATE/RESIZE
/// holds the old ones, and only what differs is touched. A value without an old one
/// counts as changed (upstream's arithmetic test fails on the empty string and skips it).
/// </summary>
internal sealed record ResizePlan(long? Vcpus, long? MemoryMiB, long? PreviousMemoryMiB, bool HotplugMemory)
{
    public static ResizePlan Read(ActionData data)
    {
        var template = new TemplateVector(
            data.Template ?? throw new OneKvmException("The action data has no VM/TEMPLATE, so there is nothing to resize to."),
            "the VM template");
        var previous = data.Template.Element("RESIZE") is { } resize ? new TemplateVector(resize, "the VM template's RESIZE") : null;
        var vcpus = template.WholeNumber("VCPU", min: 1);
        var memory = template.WholeNumber("MEMORY", min: 1);
        var previousMemory = previous?.WholeNumber("MEMORY", min: 1);
        return new ResizePlan(
            vcpus != previous?.WholeNumber("VCPU", min: 1) ? vcpus : null,
            memory != previousMemory ? memory : null,
            previousMemory,
            string.Equals(template.Text("MEMORY_RESIZE_MODE"), "HOTPLUG", StringComparison.OrdinalIgnoreCase));
    }
}
