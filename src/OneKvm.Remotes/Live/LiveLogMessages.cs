namespace OneKvm.Remotes.Live;

internal static partial class LiveLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "detach of {Device} refused on attempt {Attempt}: {Reason}; checking the domain")]
    public static partial void DetachRefused(this ILogger logger, string device, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Device} is still attached after attempt {Attempt} of {Attempts}; asking again")]
    public static partial void DetachStillAttached(this ILogger logger, string device, int attempt, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Device} has left the domain (attempt {Attempt})")]
    public static partial void DetachConfirmed(this ILogger logger, string device, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Device} is not attached to {Domain}; nothing to detach")]
    public static partial void NotAttached(this ILogger logger, string device, string domain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the mac argument {Argument} differs from the NIC's MAC {Mac}; using the NIC's")]
    public static partial void MacArgumentDiffers(this ILogger logger, string argument, string mac);

    [LoggerMessage(Level = LogLevel.Debug, Message = "attaching to {Domain}: {Xml}")]
    public static partial void AttachingXml(this ILogger logger, string domain, string xml);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Device} is in the domain although the attach failed; detaching it again")]
    public static partial void RollingBack(this ILogger logger, string device);

    [LoggerMessage(Level = LogLevel.Information, Message = "the CD-ROM {Target} of {Domain} is already empty")]
    public static partial void MediaAlreadyEjected(this ILogger logger, string target, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "no context CD-ROM given; nothing to {What}")]
    public static partial void NoContextTarget(this ILogger logger, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "disk {Target} of {Domain} is already there with this image, left by an interrupted attach; detaching it to attach it anew")]
    public static partial void LeftoverDiskDetached(this ILogger logger, string target, string domain);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Domain} already has {Memory} MiB of memory (an interrupted resize changed it); nothing to hot-plug")]
    public static partial void MemoryAlreadyResized(this ILogger logger, string domain, long memory);
}
