namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>Where the things under test are: the staged remotes tree, the packages, the test guest.</summary>
public static class TestPaths
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>dist/ of ./build.sh (ONEKVM_DIST overrides).</summary>
    public static string Dist { get; } =
        Environment.GetEnvironmentVariable("ONEKVM_DIST") is { Length: > 0 } d ? d : Path.Combine(RepositoryRoot, "dist");

    public static string Remotes => Path.Combine(Dist, "remotes");

    public static string Binary => Path.Combine(Remotes, "vmm", "kvm", "onekvm");

    public static string Entry(string remotesPath) => Path.Combine(Remotes, remotesPath);

    public static string Action(string name) => Path.Combine(Remotes, "vmm", "kvm", name);

    public static string GuestDirectory { get; } =
        Environment.GetEnvironmentVariable("ONEKVM_GUEST_DIR") is { Length: > 0 } g ? g : "/var/cache/onekvm-tests/guest";

    /// <summary>The fake virsh (a .NET program), wrapped in a script named virsh.</summary>
    public static string FakeVirshDll
    {
        get
        {
            var candidates = new[] { "Release", "Debug" }
                .Select(c => Path.Combine(RepositoryRoot, "tests", "OneKvm.Remotes.FakeVirsh", "bin", c, "net10.0", "fake-virsh.dll"))
                .Where(File.Exists)
                .OrderByDescending(File.GetLastWriteTimeUtc)
                .ToList();
            return candidates.Count > 0 ? candidates[0] : throw new FileNotFoundException("fake-virsh.dll is not built");
        }
    }

    /// <summary>This test run's own directory under /tmp, removed when the run ends (never another run's).</summary>
    public static string RunDirectory { get; } = CreateRunDirectory();

    /// <summary>A fresh directory for one test, inside <see cref="RunDirectory"/>.</summary>
    public static string NewScratchDirectory(string purpose)
    {
        var path = Path.Combine(RunDirectory, $"{purpose}-{Guid.NewGuid():N}"[..Math.Min(purpose.Length + 13, 40)]);
        Directory.CreateDirectory(path);
        return path;
    }

    private static string CreateRunDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"onekvm-t-run-{Environment.ProcessId}");
        Directory.CreateDirectory(path);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };
        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OneKvm.Remotes.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (OneKvm.Remotes.sln) above " + AppContext.BaseDirectory);
    }
}
