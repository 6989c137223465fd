using OneKvm.Remotes.Monitoring;

namespace OneKvm.Remotes.Doctor;

/// <summary>The probes' state and metric history directories writable, and free space in the system datastores.</summary>
internal static class StorageChecks
{
    private const string Area = "storage";
    private const string Datastores = "/var/lib/one/datastores";
    private const long FailBelow = 1L << 30;
    private const double WarnBelowFraction = 0.10;

    /// <summary>The state directory, and each datastore: those given, else those of the OpenNebula domains present, else every one under /var/lib/one/datastores.</summary>
    public static async Task<IReadOnlyList<Finding>> RunAsync(Func<string, string?> environment, IReadOnlyList<string> given, KvmSettings settings,
        VirshRunner virsh, CancellationToken cancellationToken)
    {
        var findings = new List<Finding> { StateDirectory(environment), HistoryDirectory(MetricHistory.DirectoryFrom(environment)) };
        var paths = given.Count > 0 ? given : await OfDomainsAsync(settings, virsh, cancellationToken).ConfigureAwait(false);
        if (paths.Count == 0 && Directory.Exists(Datastores))
        {
            paths = Directory.GetDirectories(Datastores).Order(StringComparer.Ordinal).ToList();
        }
        if (paths.Count == 0)
        {
            findings.Add(Finding.Ok(Area, $"no OpenNebula domain here names its system datastore, none under {Datastores}, and none given with --datastore"));
        }
        findings.AddRange(paths.Select(FreeSpace));
        return findings;
    }

    /// <summary>The system datastores of the OpenNebula domains present: the parent of each one's VM directory (its system_datastore metadata).</summary>
    private static async Task<IReadOnlyList<string>> OfDomainsAsync(KvmSettings settings, VirshRunner virsh, CancellationToken cancellationToken)
    {
        var quick = OneDomains.Quick(virsh);
        var datastores = new SortedSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var domain in await OneDomains.NamesAsync(virsh, cancellationToken).ConfigureAwait(false) ?? [])
            {
                var metadata = await quick.TryRunAsync(VirshCommand.Create("metadata", "--domain", domain, "--uri", settings.LibvirtMetadataUri,
                    "--key", settings.LibvirtMetadataKey).WithReadOnly(), cancellationToken).ConfigureAwait(false);
                if (metadata.Succeeded && OneMetadataDirectory(metadata.StandardOutput) is { } vmDirectory
                    && Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(vmDirectory))) is { } datastore)
                {
                    datastores.Add(datastore);
                }
            }
        }
        catch (OneKvmException)
        {
            // libvirt is reported by its own check
        }
        return [.. datastores];
    }

    private static string? OneMetadataDirectory(string xml)
    {
        try
        {
            return Xml.OneMetadata.SystemDatastore(xml);
        }
        catch (OneKvmException)
        {
            return null;
        }
    }

    private static Finding StateDirectory(Func<string, string?> environment)
    {
        var (directory, problem) = RuntimeDirectory.Resolve(environment);
        if (directory is null)
        {
            return Finding.Warn(Area, $"the probes have no state directory: {problem}; each run starts afresh (no CPU figures, every state reported)",
                "create /run/one owned by oneadmin (OpenNebula's packages do) or set ONEKVM_RUN_DIR");
        }
        return WriteProblem(directory) is { } unwritable
            ? Finding.Fail(Area, $"probe state directory {directory} is not writable as {Environment.UserName}: {unwritable}",
                $"chown {Environment.UserName} {directory}")
            : Finding.Ok(Area, $"probe state directory {directory} is writable");
    }

    /// <summary>Creates and deletes a file in the directory: null when that worked, else why not.</summary>
    private static string? WriteProblem(string directory)
    {
        var probe = Path.Combine(directory, $".onekvm-doctor-{Environment.ProcessId}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message.TrimEnd('.');
        }
    }

    /// <summary>
    /// vm_monitor's metric history (/var/tmp/one_db): writable where it exists; where it does not, the
    /// probe creates it, so its nearest existing parent must be a directory. The doctor creates nothing.
    /// </summary>
    private static Finding HistoryDirectory(string directory)
    {
        const string Remedy = "make it a directory oneadmin can write (vm_monitor creates it when its parent allows), or set ONEKVM_METRICS_DIR";
        var existing = directory;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { Length: > 0 } parent)
        {
            if (File.Exists(existing))
            {
                return Finding.Warn(Area, $"metric history directory {directory} cannot be created: {existing} is a file, not a directory; "
                    + "vm_monitor reports every key but the forecasts and keeps no history", Remedy);
            }
            existing = parent;
        }
        if (existing != directory)
        {
            return Finding.Ok(Area, $"metric history directory {directory} does not exist yet: vm_monitor creates it in {existing}");
        }
        return WriteProblem(directory) is { } problem
            ? Finding.Warn(Area, $"metric history directory {directory} is not writable as {Environment.UserName}: {problem}; "
                + "vm_monitor reports every key but the forecasts and keeps no history", Remedy)
            : Finding.Ok(Area, $"metric history directory {directory} is writable");
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
