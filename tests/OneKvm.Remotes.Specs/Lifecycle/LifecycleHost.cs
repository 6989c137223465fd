using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>An in-process host whose virsh is a scripted one and whose remotes tree is a scratch directory.</summary>
internal sealed class LifecycleHost : IDisposable
{
    public LifecycleHost()
    {
        Root = Directory.CreateTempSubdirectory("onekvm-t-remotes-").FullName;
        Directory.CreateDirectory(Path.Combine(Root, "vmm", "kvm"));
        Host = new SpecHost { Virsh = VirshRunner.Default.WithExecutable(Virsh.Executable) };
    }

    public ScriptedVirsh Virsh { get; } = new();

    public SpecHost Host { get; }

    public string Root { get; }

    public string EntryDirectory => Path.Combine(Root, "vmm", "kvm");

    public string Scratch(string name)
    {
        var path = Path.Combine(Root, "scratch", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return path;
    }

    public LifecycleHost WithSetting(string name, string value)
    {
        Host.Environment[name] = value;
        return this;
    }

    public Task<int> RunAsync(string action, params string[] args) =>
        Host.RunAsync(Path.Combine(EntryDirectory, action), args);

    /// <summary>The one sentence a failure ends with.</summary>
    public string Sentence => Host.Stderr.ToString().Trim().Split('\n')[^1];

    public double SecondsSlept => Host.Sleeps.Sum(s => s.TotalSeconds);

    public void Dispose()
    {
        Virsh.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
