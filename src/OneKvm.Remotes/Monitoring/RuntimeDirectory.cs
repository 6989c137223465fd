namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// Where the probes keep their state files. In order: ONEKVM_RUN_DIR; /run/one, which
/// OpenNebula's packages create on every node for oneadmin (tmpfs: cleared at boot,
/// as CPU samples should be); else a private /var/tmp/onekvm-run-USER (mode 0700).
/// Never the remotes tree: `onehost sync` replaces it with rsync --delete.
/// </summary>
internal static class RuntimeDirectory
{
    public const string OverrideVariable = "ONEKVM_RUN_DIR";
    public const string OpenNebulaRunDirectory = "/run/one";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The directory, or null with the reason when there is none the probe may use.</summary>
    public static (string? Path, string? Problem) Resolve(Func<string, string?> environment)
    {
        if (environment(OverrideVariable) is { Length: > 0 } configured)
        {
            return Directory.Exists(configured)
                ? (configured, null)
                : (null, $"{OverrideVariable}={configured} is not a directory");
        }
        if (Directory.Exists(OpenNebulaRunDirectory))
        {
            return (OpenNebulaRunDirectory, null);
        }
        var fallback = System.IO.Path.Combine("/var/tmp", "onekvm-run-" + Environment.UserName);
        try
        {
            var info = Directory.CreateDirectory(fallback, Private);
            // /var/tmp is shared: a link or a directory others may write is not ours to trust
            return info.LinkTarget is not null || (info.UnixFileMode & ~Private) != 0
                ? (null, $"{fallback} is a link or open to other users")
                : (fallback, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, $"{fallback}: {e.Message}");
        }
    }

    /// <summary>A file name for <paramref name="host"/> (the probe's host argument), safe whatever the name holds.</summary>
    public static string FileName(string kind, string? host)
    {
        var safe = string.Concat((host ?? "").Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));
        return $"onekvm-{kind}-{(safe.Length > 0 ? safe : "local")}";
    }
}
