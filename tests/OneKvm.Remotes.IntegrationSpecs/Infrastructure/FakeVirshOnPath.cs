using OneKvm.Remotes.TestDocuments;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// A directory holding a `virsh` that is the fake of tests/OneKvm.Remotes.FakeVirsh,
/// for faults a real virsh cannot be made to produce (a hang, a flood). Put it
/// first on PATH with <see cref="Driver.WithPathFirst"/>.
/// </summary>
public sealed class FakeVirshOnPath : IDisposable
{
    public FakeVirshOnPath(string mode)
    {
        Directory = TestPaths.NewScratchDirectory("fakevirsh");
        ChildPidFile = System.IO.Path.Combine(Directory, "child.pid");
        var script = System.IO.Path.Combine(Directory, "virsh");
        var dotnet = Environment.ProcessPath is { } p && p.EndsWith("dotnet", StringComparison.Ordinal) ? p : "/usr/bin/dotnet";
        ExecutableFile.Write(script, $"""
            #!/bin/sh
            export FAKE_VIRSH_MODE='{mode}' FAKE_VIRSH_CHILD_PID='{ChildPidFile}' DOTNET_CLI_TELEMETRY_OPTOUT=1
            exec '{dotnet}' '{TestPaths.FakeVirshDll}' "$@"

            """);
    }

    public string Directory { get; }

    public string ChildPidFile { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
