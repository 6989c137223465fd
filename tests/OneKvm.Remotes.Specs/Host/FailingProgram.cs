using OneKvm.Remotes.TestDocuments;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>
/// A shell script in a scratch directory that counts its calls and fails with <paramref name="stderr"/>
/// until it has been called more than <paramref name="failures"/> times, or (<paramref name="hang"/>)
/// starts a child and waits for it forever. Quick to start, so a spec can tell "not yet" from "never".
/// </summary>
internal sealed class FailingProgram : IDisposable
{
    public FailingProgram(int failures = 0, string stderr = "error: cannot acquire state change lock", bool hang = false)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("onekvm-t-program-").FullName;
        Executable = Path.Combine(Directory, "program");
        var body = hang
            ? $"sleep 600 &\necho $! > '{ChildPidFile}'\nwait\n"
            : $"echo call >> '{CallsFile}'\n[ \"$(wc -l < '{CallsFile}')\" -gt {failures} ] && exit 0\necho '{stderr}' >&2\nexit 1\n";
        ExecutableFile.Write(Executable, "#!/bin/sh\n" + body);
    }

    public string Directory { get; }

    public string Executable { get; }

    private string CallsFile => Path.Combine(Directory, "calls");

    public string ChildPidFile => Path.Combine(Directory, "child.pid");

    public int Calls => File.Exists(CallsFile) ? File.ReadAllLines(CallsFile).Length : 0;

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
