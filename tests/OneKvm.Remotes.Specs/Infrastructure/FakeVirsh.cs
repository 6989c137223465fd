using OneKvm.Remotes.TestDocuments;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// The fake virsh of tests/OneKvm.Remotes.FakeVirsh behind a script named virsh,
/// for the faults a real virsh cannot be made to produce (a hang, garbage, a flood).
/// </summary>
internal sealed class FakeVirsh : IDisposable
{
    public FakeVirsh(string mode)
    {
        Directory = Path.Combine(Path.GetTempPath(), $"onekvm-t-fakevirsh-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        StateFile = Path.Combine(Directory, "state");
        LogFile = Path.Combine(Directory, "calls");
        ChildPidFile = Path.Combine(Directory, "child.pid");
        Executable = Path.Combine(Directory, "virsh");
        var script = $"""
            #!/bin/sh
            export FAKE_VIRSH_MODE='{mode}' FAKE_VIRSH_STATE='{StateFile}' FAKE_VIRSH_LOG='{LogFile}' FAKE_VIRSH_CHILD_PID='{ChildPidFile}'
            exec dotnet '{Dll}' "$@"

            """;
        ExecutableFile.Write(Executable, script);
    }

    public string Directory { get; }

    public string Executable { get; }

    public string StateFile { get; }

    public string LogFile { get; }

    public string ChildPidFile { get; }

    /// <summary>Each call's argv, as the fake received it.</summary>
    public IReadOnlyList<string[]> Calls =>
        File.Exists(LogFile)
            ? File.ReadAllLines(LogFile).Select(l => l.Split('\0')).ToList()
            : [];

    public static string Dll
    {
        get
        {
            var root = AppContext.BaseDirectory;
            for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
            {
                var candidates = new[] { "Release", "Debug" }
                    .Select(c => Path.Combine(dir.FullName, "tests", "OneKvm.Remotes.FakeVirsh", "bin", c, "net10.0", "fake-virsh.dll"))
                    .Where(File.Exists)
                    .OrderByDescending(File.GetLastWriteTimeUtc)
                    .ToList();
                if (candidates.Count > 0)
                {
                    return candidates[0];
                }
            }
            throw new FileNotFoundException("fake-virsh.dll is not built (it is a project reference of the specs)");
        }
    }

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
