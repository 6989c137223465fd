using System.ComponentModel;

namespace OneKvm.Remotes.Host;

/// <summary>
/// Finds a program by name in PATH, as the shell of upstream's scripts does, and only there.
/// .NET's Process looks a bare name up in the binary's own directory and in the current
/// directory before PATH: an action runs in oneadmin's home over ssh, and a file named virsh
/// or ssh there would run in place of the real one. PATH entries that are not absolute (an
/// empty one means the current directory to a shell) are skipped for the same reason.
/// </summary>
internal static class ProgramPath
{
    private const int NoSuchFile = 2; // ENOENT, as Process.Start reports a missing program

    /// <summary>The program's full path; a name holding a slash is a path already and is kept.</summary>
    /// <exception cref="Win32Exception">no PATH directory holds an executable file of that name</exception>
    public static string Resolve(string program, string? searchPath) =>
        program.Contains('/', StringComparison.Ordinal) ? program
        : (searchPath ?? "").Split(':').Where(Path.IsPathRooted).Select(d => Path.Join(d, program)).FirstOrDefault(IsExecutable)
            ?? throw new Win32Exception(NoSuchFile, $"no executable '{program}' in any absolute directory of PATH ({searchPath})");

    /// <summary>Resolved against this process's PATH, the one its children inherit.</summary>
    public static string Resolve(string program) => Resolve(program, Environment.GetEnvironmentVariable("PATH"));

    /// <summary>An existing file that anyone may execute (as `test -x` for most).</summary>
    public static bool IsExecutable(string path)
    {
        const UnixFileMode anyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        try
        {
            return File.Exists(path) && (File.GetUnixFileMode(path) & anyExecute) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
