using System.Text.RegularExpressions;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// One NVIDIA vGPU a VM asks for: a PCI device of vm.xml (/VM/TEMPLATE/PCI) with a UUID,
/// on the physical GPU at DOMAIN:BUS:SLOT.FUNCTION, of PROFILE (an mdev type in legacy
/// mode; a vGPU type ID, its first word, in the NVIDIA SR-IOV mode, MDEV_MODE other than
/// legacy). Every field is checked for its form before it becomes part of a sysfs path.
/// </summary>
internal sealed partial record MediatedDevice(string Uuid, string Address, string Profile, bool Legacy)
{
    /// <summary>The PCI devices of vm.xml that are mediated devices (they carry a UUID).</summary>
    public static IEnumerable<XElement> Requested(XElement vm) =>
        vm.Element("TEMPLATE")?.Elements("PCI").Where(p => !string.IsNullOrWhiteSpace(p.Element("UUID")?.Value)) ?? [];

    public static MediatedDevice Parse(string helper, XElement pci)
    {
        string Field(string name) => pci.Element(name)?.Value.Trim() ?? "";
        var uuid = HelperArguments.Uuid(helper, Field("UUID"));
        var address = $"{Field("DOMAIN")}:{Field("BUS")}:{Field("SLOT")}.{Field("FUNCTION")}";
        if (!AddressForm().IsMatch(address))
        {
            throw new RefusedException($"{helper} refused the PCI address '{address}' of vGPU {uuid}: a PCI address is dddd:bb:ss.f in hexadecimal.");
        }
        var mode = Field("MDEV_MODE");
        var legacy = mode is "" or "legacy";
        // SR-IOV: the type ID is the profile's first word, as upstream takes it
        var profile = legacy ? Field("PROFILE") : Field("PROFILE").Split(' ', 2)[0];
        if (profile.Length > 0 && !(legacy ? MdevTypeForm() : TypeIdForm()).IsMatch(profile))
        {
            throw new RefusedException(legacy
                ? $"{helper} refused the profile '{profile}' of vGPU {uuid}: an mdev type is one name of letters, digits, '.', '_', '-' or ':'."
                : $"{helper} refused the profile '{profile}' of vGPU {uuid}: a vGPU type of the SR-IOV mode is a number.");
        }
        return new MediatedDevice(uuid, address.ToLowerInvariant(), profile, legacy);
    }

    [GeneratedRegex(@"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]\z", RegexOptions.CultureInvariant)]
    private static partial Regex AddressForm();

    [GeneratedRegex(@"^(?!\.{1,2}\z)[A-Za-z0-9._:-]{1,128}\z", RegexOptions.CultureInvariant)]
    private static partial Regex MdevTypeForm();

    [GeneratedRegex(@"^[0-9]{1,9}\z", RegexOptions.CultureInvariant)]
    private static partial Regex TypeIdForm();
}
