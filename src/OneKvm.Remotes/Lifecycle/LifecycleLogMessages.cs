namespace OneKvm.Remotes.Lifecycle;

internal static partial class LifecycleLogMessages
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Resolved {Count} disk.N link(s) to their targets")]
    public static partial void DiskLinksResolved(this ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keeping the existing NVRAM file {Path}")]
    public static partial void NvramKept(this ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "NVRAM file {Path} does not exist and OVMF_NVRAM (\"{Template}\") is not a file; leaving it to libvirt")]
    public static partial void NvramTemplateMissing(this ILogger logger, string path, string template);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created NVRAM file {Path} from {Template} ({TemplateFormat} -> {Format})")]
    public static partial void NvramCreated(this ILogger logger, string path, string template, string templateFormat, string format);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destroyed domain {Domain} again: the deployment did not finish")]
    public static partial void CreatedDomainDestroyed(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} is not running; nothing to shut down")]
    public static partial void NothingToShutDown(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} has no ACPI; destroying it (CANCEL_NO_ACPI=yes)")]
    public static partial void DestroyingWithoutAcpi(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} is {State}; waking it so that it can answer the ACPI shutdown")]
    public static partial void WakingForShutdown(this ILogger logger, string domain, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Domain {Domain} has crashed and cannot answer ACPI; destroying it (FORCE_DESTROY=yes)")]
    public static partial void DestroyingCrashed(this ILogger logger, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sent the ACPI shutdown request to {Domain} again after {Seconds:0.#} s")]
    public static partial void ShutdownResent(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Domain {Domain} shut down after {Seconds:0.#} s")]
    public static partial void ShutDown(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Timeout shutting down {Domain} after {Seconds:0.#} s; destroying it (FORCE_DESTROY=yes)")]
    public static partial void ShutdownTimedOutDestroying(this ILogger logger, string domain, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vTPM state in {Directory} is not restored: {Reason}")]
    public static partial void VtpmStateNotRestored(this ILogger logger, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Restored the vTPM state of {Domain} from {Directory}")]
    public static partial void VtpmStateRestored(this ILogger logger, string domain, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Backed up the vTPM state of {Domain} to {Directory}")]
    public static partial void VtpmStateBackedUp(this ILogger logger, string domain, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read TPM_STATE from {File}: {Reason}")]
    public static partial void VtpmTemplateStateUnreadable(this ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The vGPU of {Domain} was not released: {Reason}")]
    public static partial void VgpuNotReleased(this ILogger logger, string domain, string reason);
}
