using System.Runtime.InteropServices;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// After a vGPU is made or released, upstream's vgpu sends SIGUSR1 to OpenNebula's monitor
/// client (its pid in /var/tmp/one_db/.monitor_client.pid) so that it reports the host's PCI
/// devices again. That file is oneadmin's, so root signals the pid only when the process
/// belongs to the same non-root user as the file: a planted pid cannot make root kill
/// another user's process (SIGUSR1 terminates a process that does not handle it).
/// </summary>
internal static class MonitorClient
{
    public const string PidDirectory = "/var/tmp/one_db";
    public const string PidFile = ".monitor_client.pid";

    private const int UserSignal1 = 10;

    public static void AskForPciDevices()
    {
        try
        {
            using var directory = NoFollowDirectory.TryOpen(PidDirectory);
            if (directory?.TryOwnerOf(PidFile) is not { Uid: not 0 } owner
                || directory.TryReadFile(PidFile, 64) is not { } content
                || !int.TryParse(Encoding.ASCII.GetString(content).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || pid <= 1
                || NoFollowDirectory.StatPath($"/proc/{pid}").Uid != owner.Uid)
            {
                return;
            }
            _ = Kill(pid, UserSignal1);
        }
        catch (Errors.OneKvmException)
        {
            // no monitor client to tell (upstream: kill -0 failed): the next monitor cycle reports the devices
        }
    }

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
