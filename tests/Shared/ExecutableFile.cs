using System.Diagnostics;

namespace OneKvm.Remotes.TestDocuments;

/// <summary>
/// Writes the scripts that play a program (virsh, a hook, a helper). The file is written by
/// a child process, never opened for writing by the test process itself: a descriptor open
/// here is inherited by every child that a spec running in parallel forks meanwhile (until
/// its exec), and running the script at that moment fails with ETXTBSY, "Text file busy".
/// </summary>
public static class ExecutableFile
{
    public static string Write(string path, string script)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", "cat > \"$0\" && chmod 755 \"$0\"", path })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new IOException("cannot start /bin/sh");
        process.StandardInput.Write(script);
        process.StandardInput.Close();
        process.WaitForExit();
        return process.ExitCode == 0 ? path : throw new IOException($"cannot write the script {path}");
    }
}
