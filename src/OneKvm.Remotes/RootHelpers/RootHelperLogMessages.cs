namespace OneKvm.Remotes.RootHelpers;

internal static partial class RootHelperLogMessages
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the mediated device {Uuid} on {Address}: {Reason}")]
    public static partial void MediatedDeviceNotRemoved(this ILogger logger, string uuid, string address, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the mediated device {Uuid} of type {Profile} on {Address}")]
    public static partial void MediatedDeviceCreated(this ILogger logger, string uuid, string profile, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the mediated device {Uuid} on {Address}")]
    public static partial void MediatedDeviceRemoved(this ILogger logger, string uuid, string address);
}
