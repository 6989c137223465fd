using System.Runtime.InteropServices;

namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// Replaces this process with another program (execve(2)), as upstream's <c>exec</c> did: the
/// program keeps this process id (libvirt tracks and stops the helper it started by it) and
/// the descriptors it was given (virtiofsd's --fd), and gets only the root helper environment.
/// </summary>
internal static class ProgramImage
{
    /// <summary>Returns only when execve failed: a OneKvmException naming the program.</summary>
    public static OneKvmException Replace(string program, IReadOnlyList<string> argv, IReadOnlyList<string> environment)
    {
        var strings = new List<nint>();
        try
        {
            var args = Terminated(argv, strings);
            var env = Terminated(environment, strings);
            var path = Marshal.StringToCoTaskMemUTF8(program);
            strings.Add(path);
            // .NET ignores SIGPIPE, and an ignored signal stays ignored across execve
            _ = Signal(BrokenPipe, DefaultAction);
            _ = Execve(path, args, env);
            return new OneKvmException($"cannot run {program}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
        }
        finally
        {
            strings.ForEach(Marshal.FreeCoTaskMem);
        }
    }

    private static nint[] Terminated(IReadOnlyList<string> values, List<nint> strings)
    {
        var pointers = new nint[values.Count + 1];
        for (var i = 0; i < values.Count; i++)
        {
            pointers[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
            strings.Add(pointers[i]);
        }
        return pointers;
    }

    private const int BrokenPipe = 13;
    private const nint DefaultAction = 0;

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int signal, nint handler);

    [DllImport("libc", EntryPoint = "execve", SetLastError = true)]
    private static extern int Execve(nint path, nint[] argv, nint[] envp);
}
