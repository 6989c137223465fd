namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// What a root helper sees of its environment: a fixed PATH and LANG=C, whatever its caller
/// passed. sudo's env_reset usually strips the rest, but a sudoers file may keep variables
/// (env_keep, SETENV) and libvirt passes its own; nothing a root helper does may depend on them
/// (ONEKVM_KVMRC included). The programs it starts inherit only these.
/// </summary>
internal static class RootEnvironment
{
    public const string SearchPath = "/usr/sbin:/usr/bin:/sbin:/bin";

    public static string? Lookup(string name) => name switch
    {
        "PATH" => SearchPath,
        "LANG" or "LC_ALL" => "C",
        _ => null,
    };

    /// <summary>Empties this process's environment (what its children inherit) down to <see cref="Lookup"/>.</summary>
    public static void ScrubProcess()
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().ToList())
        {
            Environment.SetEnvironmentVariable(name, null);
        }
        foreach (var name in (string[])["PATH", "LANG", "LC_ALL"])
        {
            Environment.SetEnvironmentVariable(name, Lookup(name));
        }
    }

    /// <summary>The environment as KEY=value lines, for a program started with execve.</summary>
    public static string[] Block() => ["PATH=" + SearchPath, "LANG=C", "LC_ALL=C"];
}
