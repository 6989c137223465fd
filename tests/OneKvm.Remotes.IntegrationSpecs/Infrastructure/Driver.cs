namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>
/// Calls an entry of a remotes tree the way one_vmm_exec does over ssh: by path,
/// with the action data on stdin, in a minimal environment.
/// </summary>
public sealed record Driver
{
    public string RemotesRoot { get; init; } = TestPaths.Remotes;

    public Dictionary<string, string?> Environment { get; init; } = new();

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The directory the action runs in; null: the tests' own (ssh gives oneadmin's home).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>A program and its arguments the entry runs under (unshare, setpriv...); empty: run it directly.</summary>
    public IReadOnlyList<string> Wrapper { get; init; } = [];

    public static Driver Staged => new();

    public Driver Under(params string[] wrapper) => this with { Wrapper = wrapper };

    public Driver WithRemotes(string root) => this with { RemotesRoot = root };

    public Driver InDirectory(string directory) => this with { WorkingDirectory = directory };

    public Driver WithEnvironment(string name, string? value) =>
        this with { Environment = new Dictionary<string, string?>(Environment) { [name] = value } };

    /// <summary>Points ONEKVM_KVMRC at a file holding <paramref name="text"/>.</summary>
    public Driver WithKvmrc(string text)
    {
        var path = Path.Combine(TestPaths.RunDirectory, $"kvmrc-{Guid.NewGuid():N}");
        File.WriteAllText(path, text);
        return WithEnvironment("ONEKVM_KVMRC", path);
    }

    /// <summary>Puts a directory first on PATH (a fake virsh lives there).</summary>
    public Driver WithPathFirst(string directory) =>
        WithEnvironment("PATH", directory + ":/usr/bin:/bin:/usr/sbin:/sbin");

    public Task<ProcessResult> RunAsync(string action, params string[] args) => RunEntryAsync($"vmm/kvm/{action}", null, args);

    public Task<ProcessResult> RunWithStdinAsync(string action, string stdin, params string[] args) =>
        RunEntryAsync($"vmm/kvm/{action}", stdin, args);

    public Task<ProcessResult> RunEntryAsync(string remotesPath, string? stdin, params string[] args) =>
        RunPathAsync(Path.Combine(RemotesRoot, remotesPath), stdin, args);

    public Task<ProcessResult> RunPathAsync(string path, string? stdin, params string[] args) =>
        Wrapper.Count == 0
            ? ProcessRun.RunAsync(path, args, stdin ?? "", Environment, cleanEnvironment: true, timeout: Timeout, workingDirectory: WorkingDirectory)
            : ProcessRun.RunAsync(Wrapper[0], [.. Wrapper.Skip(1), path, .. args], stdin ?? "", Environment, cleanEnvironment: true,
                timeout: Timeout, workingDirectory: WorkingDirectory);
}
