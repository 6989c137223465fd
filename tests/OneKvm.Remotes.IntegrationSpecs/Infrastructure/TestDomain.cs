using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>A real libvirt domain owned by one test; disposing destroys and undefines it.</summary>
public sealed class TestDomain : IAsyncDisposable
{
    private static readonly Lazy<Task> LeftoversRemoved = new(RemoveLeftoversAsync);

    private TestDomain(string name, string xmlFile)
    {
        Name = name;
        XmlFile = xmlFile;
    }

    public string Name { get; }

    public string XmlFile { get; }

    /// <summary>Starts a transient domain (virsh create), as OpenNebula deploys them.</summary>
    public static async Task<TestDomain> StartAsync(DomainXml xml, bool persistent = false)
    {
        await LeftoversRemoved.Value;
        var file = Path.Combine(TestPaths.RunDirectory, $"domain-{Guid.NewGuid():N}.xml");
        await File.WriteAllTextAsync(file, xml.ToString());
        if (persistent)
        {
            await TestVirsh.CheckedAsync("define", file);
            await TestVirsh.CheckedAsync("start", xml.Name);
        }
        else
        {
            await TestVirsh.CheckedAsync("create", file);
        }
        return new TestDomain(xml.Name, file);
    }

    public static Task<TestDomain> StartDisklessAsync(string purpose) =>
        StartAsync(DomainXml.Diskless(TestNames.Domain(purpose)));

    public Task<string?> StateAsync() => TestVirsh.StateAsync(Name);

    public async ValueTask DisposeAsync()
    {
        await RemoveAsync(Name);
        File.Delete(XmlFile);
    }

    public static async Task RemoveAsync(string name)
    {
        // by --domain: a domain named "--help" must not make virsh print its help instead
        await TestVirsh.RunAsync("destroy", "--domain", name);
        await TestVirsh.RunAsync("undefine", "--nvram", "--snapshots-metadata", "--domain", name);
        await TestVirsh.RunAsync("undefine", "--domain", name);
    }

    /// <summary>Domains a crashed test run left behind (their run's process is gone).</summary>
    private static async Task RemoveLeftoversAsync()
    {
        var list = await TestVirsh.RunAsync("list", "--all", "--name");
        Assert.True(list.ExitCode == 0, "libvirtd does not answer: " + list);
        foreach (var name in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var desc = await TestVirsh.RunAsync("desc", "--domain", name);
            if (desc.ExitCode == 0 && TestNames.IsLeftoverOfDeadRun(desc.Stdout))
            {
                await RemoveAsync(name);
            }
        }
    }
}
