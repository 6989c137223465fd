namespace OneKvm.Remotes.Doctor;

/// <summary>
/// The sudo rules onekvm relies on, asked with <c>sudo -n -l COMMAND</c> (sudo says whether
/// this user may run exactly that, without running it): the memory cleanup when kvmrc asks
/// for it, and OpenNebula's root helpers present in the tree. rbd runs as oneadmin itself.
/// </summary>
internal static class SudoChecks
{
    private const string Area = "sudo";

    public static async Task<IReadOnlyList<Finding>> RunAsync(string root, KvmSettings settings, CancellationToken cancellationToken)
    {
        if (Environment.UserName == "root")
        {
            return [Finding.Ok(Area, "running as root: onekvm runs the memory cleanup and the root helpers without sudo")];
        }
        var findings = new List<Finding>();
        var cleanup = settings.CleanupMemoryOnStart || settings.CleanupMemoryOnStop;
        var allowed = await AllowedAsync([MemoryCleanup.SysctlPath, .. MemoryCleanup.SysctlArguments], cancellationToken).ConfigureAwait(false);
        var cleanupCommand = MemoryCleanup.SysctlPath + " " + string.Join(' ', MemoryCleanup.SysctlArguments);
        findings.Add((allowed.Allowed, cleanup) switch
        {
            (true, _) => Finding.Ok(Area, $"{Environment.UserName} may run sudo {cleanupCommand} (memory cleanup)"),
            (false, true) => Finding.Fail(Area, $"{Environment.UserName} may not run sudo {cleanupCommand}, which CLEANUP_MEMORY_ON_START/STOP=yes needs: {allowed.Reason}",
                "install OpenNebula's sudoers rules (ONE_MEM) for this user, or set both to no"),
            (false, false) => Finding.Ok(Area, $"sudo {cleanupCommand} is not allowed, and not needed (CLEANUP_MEMORY_ON_START/STOP are no)"),
        });
        foreach (var name in new[] { RootHelper.Vgpu, RootHelper.Vtpm })
        {
            var helper = Path.Combine(root, name);
            if (!File.Exists(helper))
            {
                findings.Add(Finding.Ok(Area, $"no {name} in the tree: VMs with {(name == RootHelper.Vgpu ? "vGPUs" : "a vTPM")} are deployed without it, as upstream does"));
                continue;
            }
            var check = await AllowedAsync([helper], cancellationToken).ConfigureAwait(false);
            findings.Add(check.Allowed
                ? Finding.Ok(Area, $"{Environment.UserName} may run sudo {helper}")
                : Finding.Warn(Area, $"{Environment.UserName} may not run sudo {helper}: its step is skipped for the VMs that need it ({check.Reason})",
                    "install OpenNebula's sudoers rules for this user"));
        }
        return findings;
    }

    private static async Task<(bool Allowed, string Reason)> AllowedAsync(string[] command, CancellationToken cancellationToken)
    {
        if (LibvirtChecks.Find("sudo") is null)
        {
            return (false, "sudo is not installed");
        }
        try
        {
            var result = await ProgramRunner.Default.RunAsync(ProgramCommand.Tool("sudo", ["-n", "-l", .. command]).WithLabel("sudo -l")
                .WithDeadline(TimeSpan.FromSeconds(10)), cancellationToken).ConfigureAwait(false);
            return (result.Succeeded, result.Succeeded ? "" : result.Reason());
        }
        catch (OneKvmException e)
        {
            return (false, e.Message);
        }
    }
}
