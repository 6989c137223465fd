using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Packaging;

/// <summary>
/// onekvm's packages as built by ./build.sh package, and a second version of them built the
/// same way (for the upgrade), with the paths the action table's manifest names.
/// </summary>
public sealed class OnekvmPackages : IAsyncLifetime
{
    public string Directory { get; } = TestPaths.NewScratchDirectory("onekvm-pkgs");

    public string Version { get; private set; } = "";

    public string NextVersion => Version + ".1";

    /// <summary>Entries (kind "entry") and upstream's retired files (kind "retired") of the remotes tree.</summary>
    public IReadOnlyList<(string Kind, string Path)> Manifest { get; private set; } = [];

    public IEnumerable<string> Entries => Manifest.Where(m => m.Kind == "entry").Select(m => m.Path);

    public IEnumerable<string> Retired => Manifest.Where(m => m.Kind == "retired").Select(m => m.Path);

    public string File(string format, string version) => format == "rpm"
        ? Path.Combine(Directory, $"onekvm-remotes-{version}-1.x86_64.rpm")
        : Path.Combine(Directory, $"onekvm-remotes_{version}-1_amd64.deb");

    public async Task InitializeAsync()
    {
        var deb = System.IO.Directory.GetFiles(Path.Combine(TestPaths.Dist, "package"), "onekvm-remotes_*_amd64.deb").Single();
        Version = Path.GetFileName(deb)["onekvm-remotes_".Length..^"-1_amd64.deb".Length];
        foreach (var built in System.IO.Directory.GetFiles(Path.Combine(TestPaths.Dist, "package")))
        {
            System.IO.File.Copy(built, Path.Combine(Directory, Path.GetFileName(built)));
        }
        var next = await ProcessRun.RunAsync(Path.Combine(TestPaths.RepositoryRoot, "packaging", "build-packages.sh"),
            [TestPaths.RepositoryRoot, TestPaths.Dist, Path.Combine(Directory, "next")],
            environment: new Dictionary<string, string?> { ["VERSION"] = NextVersion });
        Assert.True(next.ExitCode == 0, next.ToString());
        foreach (var built in System.IO.Directory.GetFiles(Path.Combine(Directory, "next")))
        {
            System.IO.File.Copy(built, Path.Combine(Directory, Path.GetFileName(built)));
        }
        var manifest = await ProcessRun.RunAsync(TestPaths.Binary, ["layout", "--manifest"]);
        Assert.True(manifest.ExitCode == 0, manifest.ToString());
        Manifest = [.. manifest.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2)).Select(p => (p[0], p[1]))];
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>
/// An operator's front-end with the opennebula package: onekvm-remotes moves upstream's
/// files at its paths aside and gives them back, whichever of the two packages is installed,
/// upgraded or erased first. The real rpm and dpkg, into a private root.
/// </summary>
public sealed class PackageLifecycleSpecs(OnekvmPackages onekvm) : IClassFixture<OnekvmPackages>, IDisposable
{
    private const string UpstreamAside = "usr/share/onekvm-remotes/upstream";
    private readonly string _root = TestPaths.NewScratchDirectory("pkg-root");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("rpm")]
    [InlineData("deb")]
    public async Task Opennebulas_files_stay_aside_while_onekvm_is_installed_whatever_is_upgraded_or_erased_and_come_back_after(string format)
    {
        var pm = await PackageManager.CreateAsync(format, _root);
        var paths = onekvm.Entries.Concat(onekvm.Retired).ToList();
        var upstream1 = await UpstreamPackage.BuildAsync(format, 1, paths, onekvm.Directory);
        var upstream2 = await UpstreamPackage.BuildAsync(format, 2, paths, onekvm.Directory);

        await pm.InstallAsync(upstream1);
        AssertTree(pm, "opennebula 1 alone", upstream: 1, onekvmInstalled: false);
        await pm.InstallAsync(onekvm.File(format, onekvm.Version));
        AssertTree(pm, "onekvm installed over opennebula 1", upstream: 1, onekvmInstalled: true);
        await pm.UpgradeAsync(upstream2);
        AssertTree(pm, "opennebula upgraded to 2 under onekvm", upstream: 2, onekvmInstalled: true);
        await pm.UpgradeAsync(onekvm.File(format, onekvm.NextVersion));
        AssertTree(pm, "onekvm upgraded", upstream: 2, onekvmInstalled: true);
        await pm.EraseAsync("onekvm-remotes");
        AssertTree(pm, "onekvm erased", upstream: 2, onekvmInstalled: false);

        await pm.InstallAsync(onekvm.File(format, onekvm.Version));
        AssertTree(pm, "onekvm installed again", upstream: 2, onekvmInstalled: true);
        await pm.EraseAsync("opennebula");
        AssertTree(pm, "opennebula erased under onekvm", upstream: null, onekvmInstalled: true);
        await pm.InstallAsync(upstream1);
        AssertTree(pm, "opennebula 1 installed after onekvm", upstream: 1, onekvmInstalled: true);
        await pm.EraseAsync("onekvm-remotes");
        AssertTree(pm, "onekvm erased again", upstream: 1, onekvmInstalled: false);
        await pm.EraseAsync("opennebula");
        AssertTree(pm, "both erased", upstream: null, onekvmInstalled: false);
        Assert.Empty(Directory.Exists(pm.Remotes) ? Directory.GetFiles(pm.Remotes, "*", SearchOption.AllDirectories) : []);
    }

    private void AssertTree(PackageManager pm, string step, int? upstream, bool onekvmInstalled)
    {
        foreach (var path in onekvm.Entries)
        {
            var file = Path.Combine(pm.Remotes, path);
            if (onekvmInstalled)
            {
                Assert.True(File.Exists(file), $"{step}: {path} is missing");
                Assert.True(File.ReadAllBytes(TestPaths.Entry(path)).AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"{step}: {path} is not onekvm's entry");
                Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(file));
            }
            else
            {
                AssertUpstreamOrNothing(file, path, upstream, step);
            }
        }
        foreach (var path in onekvm.Retired)
        {
            AssertUpstreamOrNothing(Path.Combine(pm.Remotes, path), path, onekvmInstalled ? null : upstream, step);
        }
        AssertUpstreamOrNothing(Path.Combine(pm.Remotes, UpstreamPackage.Kvmrc), UpstreamPackage.Kvmrc, upstream, step);
        foreach (var path in onekvm.Entries.Concat(onekvm.Retired))
        {
            AssertUpstreamOrNothing(Path.Combine(_root, UpstreamAside, path), path, onekvmInstalled ? upstream : null, step + " (aside)");
        }
        Assert.Equal(onekvmInstalled, File.Exists(Path.Combine(pm.Remotes, "vmm", "kvm", "onekvm")));
        if (!onekvmInstalled)
        {
            Assert.False(Directory.Exists(Path.Combine(_root, "usr", "share", "onekvm-remotes")), $"{step}: /usr/share/onekvm-remotes is left behind");
        }
    }

    private static void AssertUpstreamOrNothing(string file, string path, int? version, string step)
    {
        if (version is { } v)
        {
            Assert.True(File.Exists(file), $"{step}: opennebula's {path} is missing");
            Assert.Equal(UpstreamPackage.Content(path, v), File.ReadAllText(file));
        }
        else
        {
            Assert.False(File.Exists(file), $"{step}: {path} should not be there");
        }
    }
}
