using System.ComponentModel;

namespace OneKvm.Remotes.Doctor;

/// <summary>libvirt and QEMU as this user sees them: virsh, LIBVIRT_URI answering, the versions, /dev/kvm, qemu-img.</summary>
internal static class LibvirtChecks
{
    private const string Area = "libvirt";
    private const string KvmDevice = "/dev/kvm";

    public static async Task<IReadOnlyList<Finding>> RunAsync(KvmSettings settings, VirshRunner virsh, CancellationToken cancellationToken)
    {
        return
        [
            Find("virsh") is null
                ? Finding.Fail(Area, "no virsh in PATH", "install libvirt-clients (Debian) or libvirt-client (RPM)")
                : await UriFindingAsync(settings, virsh, cancellationToken).ConfigureAwait(false),
            KvmDeviceFinding(),
            Find("qemu-img") is { } qemuImg
                ? Finding.Ok(Area, $"qemu-img at {qemuImg}")
                : Finding.Warn(Area, "no qemu-img in PATH: resize_disk and image checks cannot run", "install qemu-utils (Debian) or qemu-img (RPM)"),
        ];
    }

    private static async Task<Finding> UriFindingAsync(KvmSettings settings, VirshRunner virsh, CancellationToken cancellationToken)
    {
        var uri = settings.LibvirtUri;
        ProgramResult result;
        try
        {
            result = await OneDomains.Quick(virsh)
                .TryRunAsync(VirshCommand.Create("version", "--daemon"), cancellationToken).ConfigureAwait(false);
        }
        catch (OneKvmException e)
        {
            return Finding.Fail(Area, $"LIBVIRT_URI {uri}: {e.Message}", "check that libvirtd runs and answers on that URI");
        }
        if (!result.Succeeded)
        {
            return Finding.Fail(Area, $"LIBVIRT_URI {uri} does not answer as {Environment.UserName}: {result.Reason()}",
                "start libvirtd (systemctl start libvirtd), or fix LIBVIRT_URI in kvmrc, or add this user to the libvirt group");
        }
        var daemon = Field(result.StandardOutput, "Running against daemon:") ?? "?";
        var hypervisor = Field(result.StandardOutput, "Running hypervisor:") ?? "?";
        return Finding.Ok(Area, $"LIBVIRT_URI {uri} answers as {Environment.UserName}: libvirtd {daemon}, {hypervisor}");
    }

    private static Finding KvmDeviceFinding()
    {
        if (!File.Exists(KvmDevice))
        {
            return Finding.Fail(Area, $"no {KvmDevice}: QEMU cannot use KVM here", "enable virtualization in the firmware and load kvm_intel or kvm_amd");
        }
        try
        {
            using var device = new FileStream(KvmDevice, FileMode.Open, FileAccess.ReadWrite);
            return Finding.Ok(Area, $"{KvmDevice} opens read-write as {Environment.UserName}");
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return Finding.Warn(Area, $"{KvmDevice} does not open read-write as {Environment.UserName} ({e.Message.TrimEnd('.')}); libvirtd's QEMU user may still use it",
                "add this user to the kvm group if it runs QEMU itself");
        }
    }

    private static string? Field(string output, string label) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(label, StringComparison.Ordinal))?[label.Length..].Trim();

    public static string? Find(string program)
    {
        try
        {
            return ProgramPath.Resolve(program);
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}
