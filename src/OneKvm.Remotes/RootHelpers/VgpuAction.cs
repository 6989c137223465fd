namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// vgpu, upstream's NVIDIA vGPU helper, with its arguments (the action in any case):
/// <c>CREATE &lt;vm dir&gt;/vm.xml</c> (root, before deploy) makes a mediated device for each
/// PCI device of vm.xml that has a UUID; <c>DELETE &lt;vm dir&gt;/vm.xml</c> (root, after the
/// domain stopped) releases them, where a device that will not go is a warning, as upstream;
/// <c>DATASTORE &lt;deploy id&gt;</c> (oneadmin) prints the VM directory from the domain's
/// OpenNebula metadata. Legacy mode (MDEV_MODE empty or legacy) writes the UUID to
/// /sys/class/mdev_bus/&lt;address&gt;/mdev_supported_types/&lt;profile&gt;/create and 1 to
/// .../devices/&lt;uuid&gt;/remove; NVIDIA's SR-IOV mode writes the type ID, then 0, to
/// /sys/bus/pci/devices/&lt;address&gt;/nvidia/current_vgpu_type. The sysfs paths are fixed: a
/// test lays out a tree and mounts it over them in a mount namespace of its own, so nothing
/// a sudo caller controls (environment, arguments, kvmrc) can point root at other files.
/// </summary>
internal sealed class VgpuAction : IDriverAction
{
    private static readonly ActionParameter Action = new("action", "CREATE (before deploy), DELETE (after the domain stopped) or DATASTORE");
    private static readonly ActionParameter Vm = new("vm", "<datastores>/<datastore id>/<vm id>/vm.xml, or the deploy id for DATASTORE");
    public static readonly ActionEntry Row = ActionEntry.RootHelper("vgpu", false,
        "Root helper (sudo): CREATE/DELETE the NVIDIA vGPUs (mediated devices) of vm.xml; DATASTORE prints a domain's VM directory.",
        [Action, Vm], () => new VgpuAction());

    public const string Name = "vgpu";
    public const string MdevBus = "/sys/class/mdev_bus";
    public const string PciDevices = "/sys/bus/pci/devices";
    public const string VmFile = "vm.xml";

    /// <summary>The most bytes a vm.xml is read to (an XML template is a few KB).</summary>
    public const int VmFileLimit = 64 * 1024 * 1024;

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var action = arguments[Action];
        var vm = arguments[Vm];
        switch (action.ToLowerInvariant())
        {
            case "create":
                foreach (var device in Requested(vm))
                {
                    var profile = device.Legacy ? CreateLegacy(device) : CreateSriov(device);
                    context.Logger.MediatedDeviceCreated(device.Uuid, profile, device.Address);
                }
                MonitorClient.AskForPciDevices();
                break;
            case "delete":
                foreach (var device in Requested(vm))
                {
                    Remove(context, device);
                }
                MonitorClient.AskForPciDevices();
                break;
            case "datastore":
                var directory = await context.Virsh.Domain(vm).SystemDatastoreAsync(context.Settings, cancellationToken).ConfigureAwait(false)
                    ?? throw new OneKvmException($"Datastore path not found: domain {vm} has no OpenNebula metadata naming its VM directory.");
                await context.Stdout.WriteLineAsync(directory).ConfigureAwait(false);
                break;
            default:
                throw new RefusedException($"{Name} refused the action '{action}': it knows CREATE, DELETE and DATASTORE.");
        }
    }

    /// <summary>Every vGPU of vm.xml, each checked before any is touched; none when there is no vm.xml (as upstream).</summary>
    private static List<MediatedDevice> Requested(string vmFile)
    {
        var vmDirectory = HelperArguments.VmDirectoryOfFile(Name, vmFile, VmFile);
        byte[]? content;
        try
        {
            using var directory = NoFollowDirectory.TryOpen(vmDirectory);
            content = directory?.TryReadFile(VmFile, VmFileLimit);
        }
        catch (RefusedException e)
        {
            throw new RefusedException($"{Name} refused to read {vmFile}: {e.Message}.");
        }
        return content is null
            ? []
            : [.. MediatedDevice.Requested(SafeXml.Parse(Encoding.UTF8.GetString(content), vmFile).Root!)
                .Select(pci => MediatedDevice.Parse(Name, pci))];
    }

    private static string CreateLegacy(MediatedDevice device)
    {
        var types = LegacyTypes(device);
        var profile = LegacyProfile(device, types);
        Write(Path.Combine(types, profile, "create"), device.Uuid,
            $"{Name} could not create the mediated device {device.Uuid} of type {profile} on {device.Address}");
        return profile;
    }

    private static string CreateSriov(MediatedDevice device)
    {
        var nvidia = Path.Combine(PhysicalDevice(PciDevices, device), "nvidia");
        var offered = OfferedTypes(nvidia);
        var profile = device.Profile.Length > 0 ? device.Profile : offered.FirstOrDefault() ?? "";
        if (!offered.Contains(profile))
        {
            throw new OneKvmException($"Profile '{profile}' not supported by vGPU {device.Address}: {nvidia}/creatable_vgpu_types offers {(offered.Count > 0 ? string.Join(", ", offered) : "none")}.");
        }
        Write(Path.Combine(nvidia, "current_vgpu_type"), profile, $"{Name} could not activate vGPU type {profile} on {device.Address}");
        return profile;
    }

    private static void Remove(DriverContext context, MediatedDevice device)
    {
        var file = device.Legacy
            ? Path.Combine(LegacyTypes(device), LegacyProfile(device, LegacyTypes(device)), "devices", device.Uuid, "remove")
            : Path.Combine(PhysicalDevice(PciDevices, device), "nvidia", "current_vgpu_type");
        try
        {
            Write(file, device.Legacy ? "1" : "0", "");
            context.Logger.MediatedDeviceRemoved(device.Uuid, device.Address);
        }
        catch (OneKvmException e)
        {
            context.Logger.MediatedDeviceNotRemoved(device.Uuid, device.Address, e.InnerException?.Message ?? e.Message);
        }
    }

    private static string LegacyTypes(MediatedDevice device) => Path.Combine(PhysicalDevice(MdevBus, device), "mdev_supported_types");

    private static string PhysicalDevice(string bus, MediatedDevice device)
    {
        var path = Path.Combine(bus, device.Address);
        return Directory.Exists(path) ? path : throw new OneKvmException($"Directory '{path}' does not exist: no such device for vGPU {device.Uuid}.");
    }

    /// <summary>The VM's profile, or the first type of the GPU when it names none (upstream: the first that ls lists).</summary>
    private static string LegacyProfile(MediatedDevice device, string types) =>
        device.Profile.Length > 0 ? device.Profile
        : (Directory.Exists(types) ? Directory.GetDirectories(types).Select(Path.GetFileName).Order(StringComparer.Ordinal).FirstOrDefault() : null)
            ?? throw new OneKvmException($"{types} offers no mediated device type for vGPU {device.Uuid}.");

    /// <summary>The type IDs of creatable_vgpu_types ("ID : name" lines after a header).</summary>
    private static List<string> OfferedTypes(string nvidia)
    {
        var file = Path.Combine(nvidia, "creatable_vgpu_types");
        try
        {
            return [.. File.ReadAllLines(file).Skip(1).Select(l => l.Split(':', 2)[0].Trim()).Where(id => id.Length > 0)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"cannot read {file}: {e.Message}", e);
        }
    }

    /// <summary>Writes one value to a sysfs attribute, as echo does (never creating the file).</summary>
    private static void Write(string file, string value, string failure)
    {
        try
        {
            using var stream = new FileStream(file, FileMode.Truncate, FileAccess.Write);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"{failure}: {e.Message.TrimEnd('.')}.", e);
        }
    }
}
