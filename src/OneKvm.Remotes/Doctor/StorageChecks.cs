using OneKvm.Remotes.Monitoring;

namespace OneKvm.Remotes.Doctor;

/// <summary>The probes' state directory writable, and free space in the system datastores.</summary>
internal static class StorageChecks
{
    private const string Area = "storage";
    private const string Datastores = "/var/lib/one/datastores";
    private const long FailBelow = 1L << 30;
    private const double WarnBelowFraction = 0.10;

    public static IReadOnlyList<Finding> Run(Func<string, string?> environment, IReadOnlyList<string> datastores)
    {
        var findings = new List<Finding> { StateDirectory(environment) };
        var paths = datastores.Count > 0
            ? datastores
            : Directory.Exists(Datastores) ? Directory.GetDirectories(Datastores).Order(StringComparer.Ordinal).ToList() : [];
        if (paths.Count == 0)
        {
            findings.Add(Finding.Ok(Area, $"no datastore under {Datastores} and none given with --datastore"));
        }
        findings.AddRange(paths.Select(FreeSpace));
        return findings;
    }

    private static Finding StateDirectory(Func<string, string?> environment)
    {
        var (directory, problem) = RuntimeDirectory.Resolve(environment);
        if (directory is null)
        {
            return Finding.Warn(Area, $"the probes have no state directory: {problem}; each run starts afresh (no CPU figures, every state reported)",
                "create /run/one owned by oneadmin (OpenNebula's packages do) or set ONEKVM_RUN_DIR");
        }
        var probe = Path.Combine(directory, $".onekvm-doctor-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return Finding.Ok(Area, $"probe state directory {directory} is writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Finding.Fail(Area, $"probe state directory {directory} is not writable as {Environment.UserName}: {e.Message.TrimEnd('.')}",
                $"chown {Environment.UserName} {directory}");
        }
    }

    private static Finding FreeSpace(string path)
    {
        if (!Directory.Exists(path))
        {
            return Finding.Fail(Area, $"datastore {path} does not exist", "mount or create it, or check the datastore's BASE_PATH");
        }
        var drive = new DriveInfo(path);
        var free = drive.AvailableFreeSpace;
        var fraction = drive.TotalSize > 0 ? (double)free / drive.TotalSize : 0;
        var text = $"datastore {path}: {free / (1 << 20)} MiB free ({fraction:P0} of its file system)";
        return free < FailBelow
            ? Finding.Fail(Area, text, "free space there: save, deploy and snapshots write the VM's memory and disks")
            : fraction < WarnBelowFraction
                ? Finding.Warn(Area, text, "free space there before it runs out")
                : Finding.Ok(Area, text);
    }
}
