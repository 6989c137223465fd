using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs;

/// <summary>The .deb built by ./build.sh package: lintian-clean, installable, and working once installed.</summary>
public sealed class PackageSpecs : IDisposable
{
    private readonly string _root = TestPaths.NewScratchDirectory("root");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static string Deb =>
        Directory.GetFiles(Path.Combine(TestPaths.Dist, "package"), "onekvm-remotes_*_amd64.deb").Single();

    /// <summary>dpkg into an empty root with its own database; maintainer scripts run with DPKG_ROOT set.</summary>
    private async Task<ProcessResult> DpkgAsync(params string[] args)
    {
        Directory.CreateDirectory(Path.Combine(_root, "var", "lib", "dpkg", "info"));
        Directory.CreateDirectory(Path.Combine(_root, "var", "lib", "dpkg", "updates"));
        var status = Path.Combine(_root, "var", "lib", "dpkg", "status");
        if (!File.Exists(status))
        {
            await File.WriteAllTextAsync(status, "");
        }
        return await ProcessRun.RunAsync("dpkg",
            ["--root=" + _root, "--force-script-chrootless", "--force-depends", "--log=/dev/null", .. args]);
    }

    [Fact]
    public async Task Lintian_reports_no_error_and_no_warning_that_is_not_overridden_with_a_reason()
    {
        var lintian = await ProcessRun.RunAsync("lintian", ["--tag-display-limit", "0", Deb], timeout: TimeSpan.FromMinutes(5));

        Assert.Empty(lintian.StdoutLinesStartingWith("E: "));
        Assert.Empty(lintian.StdoutLinesStartingWith("W: "));
        Assert.True(lintian.ExitCode == 0, lintian.ToString());
        // every override says why, in the comment lines right above it
        var overrides = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "packaging", "lintian-overrides"));
        for (var i = 0; i < overrides.Length; i++)
        {
            if (overrides[i].StartsWith("onekvm-remotes:", StringComparison.Ordinal))
            {
                Assert.True(i > 0 && overrides[i - 1].StartsWith('#'), $"lintian override without a reason: {overrides[i]}");
            }
        }
    }

    [Fact]
    public async Task Both_packages_install_the_man_pages_generated_from_the_tables()
    {
        var install = await DpkgAsync("-i", Deb);
        Assert.True(install.ExitCode == 0, install.ToString());
        foreach (var page in new[] { "man1/onekvm.1.gz", "man5/onekvm-kvmrc.5.gz" })
        {
            var path = Path.Combine(_root, "usr", "share", "man", page);
            Assert.True(File.Exists(path), page);
            var man = await ProcessRun.RunAsync("man", ["--warnings", "-l", path], environment: new Dictionary<string, string?> { ["MANWIDTH"] = "80" });
            Assert.True(man.ExitCode == 0 && man.Stderr.Length == 0, man.ToString());
            Assert.Contains(page.Contains("kvmrc", StringComparison.Ordinal) ? "SHUTDOWN_TIMEOUT" : "attach_disk", man.Stdout);
        }
        var rpm = await ProcessRun.RunAsync("rpm", ["-qlp", Directory.GetFiles(Path.Combine(TestPaths.Dist, "package"), "*.rpm").Single()]);
        Assert.Contains("/usr/share/man/man1/onekvm.1.gz", rpm.Stdout);
        Assert.Contains("/usr/share/man/man5/onekvm-kvmrc.5.gz", rpm.Stdout);
    }

    [Fact]
    public async Task The_installed_package_runs_reboot_reset_and_cancel_against_real_domains()
    {
        var install = await DpkgAsync("-i", Deb);
        Assert.True(install.ExitCode == 0, install.ToString());
        var remotes = Path.Combine(_root, "var", "lib", "one", "remotes");
        await using var domain = await TestDomain.StartDisklessAsync("pkg");
        var driver = Driver.Staged.WithRemotes(remotes);

        ProtocolAssert.Succeeded(await driver.RunAsync("reboot", domain.Name, "localhost", "7", "localhost"));
        ProtocolAssert.Succeeded(await driver.RunAsync("reset", domain.Name, "localhost", "7", "localhost"));
        ProtocolAssert.Succeeded(await driver.RunAsync("cancel", domain.Name, "localhost", "7", "localhost"));
        Assert.Null(await domain.StateAsync());
        // the operators' command: an absolute link into the remotes tree (valid once the root is /)
        Assert.Equal("/var/lib/one/remotes/vmm/kvm/onekvm", new FileInfo(Path.Combine(_root, "usr", "bin", "onekvm")).LinkTarget);
        var list = await ProcessRun.RunAsync(Path.Combine(remotes, "vmm", "kvm", "onekvm"), ["--list"]);
        Assert.Contains("reboot", list.Stdout);
    }

    [Fact]
    public async Task Installing_over_opennebulas_scripts_diverts_them_and_removing_gives_them_back()
    {
        var remotes = Path.Combine(_root, "var", "lib", "one", "remotes");
        var upstreamDeploy = Path.Combine(remotes, "vmm", "kvm", "deploy");
        var upstreamProbe = Path.Combine(remotes, "im", "kvm-probes.d", "vm", "monitor", "poll.rb");
        Directory.CreateDirectory(Path.GetDirectoryName(upstreamDeploy)!);
        Directory.CreateDirectory(Path.GetDirectoryName(upstreamProbe)!);
        await File.WriteAllTextAsync(upstreamDeploy, "#!/bin/bash\n# upstream deploy\n");
        await File.WriteAllTextAsync(upstreamProbe, "#!/usr/bin/ruby\n# upstream probe\n");
        // a root helper at the top of the tree
        var upstreamVtpm = Path.Combine(remotes, "vtpm_setup");
        await File.WriteAllTextAsync(upstreamVtpm, "#!/bin/bash\n# upstream vtpm_setup\n");

        var install = await DpkgAsync("-i", Deb);

        Assert.True(install.ExitCode == 0, install.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(TestPaths.Action("deploy")), await File.ReadAllBytesAsync(upstreamDeploy));
        Assert.False(File.Exists(upstreamProbe), "upstream's monitor probe would report every VM twice");
        Assert.Contains("# upstream deploy", await File.ReadAllTextAsync(Path.Combine(_root, "usr", "share", "onekvm-remotes", "upstream", "vmm", "kvm", "deploy")));
        Assert.Equal(await File.ReadAllBytesAsync(TestPaths.Entry("vtpm_setup")), await File.ReadAllBytesAsync(upstreamVtpm));

        var remove = await DpkgAsync("-r", "onekvm-remotes");

        Assert.True(remove.ExitCode == 0, remove.ToString());
        Assert.Equal("#!/bin/bash\n# upstream deploy\n", await File.ReadAllTextAsync(upstreamDeploy));
        Assert.Equal("#!/usr/bin/ruby\n# upstream probe\n", await File.ReadAllTextAsync(upstreamProbe));
        Assert.Equal("#!/bin/bash\n# upstream vtpm_setup\n", await File.ReadAllTextAsync(upstreamVtpm));
        Assert.False(File.Exists(Path.Combine(remotes, "vmm", "kvm", "onekvm")));
    }

    [Fact]
    public async Task The_rpm_holds_the_same_files_as_the_deb()
    {
        var rpms = Directory.GetFiles(Path.Combine(TestPaths.Dist, "package"), "*.rpm");
        Assert.Single(rpms);
        var rpm = await ProcessRun.RunAsync("rpm", ["-qlp", rpms[0]]);
        var deb = await ProcessRun.RunAsync("dpkg-deb", ["-c", Deb]);

        var debFiles = deb.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.StartsWith('d'))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5].TrimStart('.'))
            // Debian's own: the changelog every .deb carries, and lintian's overrides
            .Where(f => !f.EndsWith("changelog.Debian.gz", StringComparison.Ordinal) && !f.StartsWith("/usr/share/lintian/", StringComparison.Ordinal))
            .Order().ToList();
        var rpmFiles = rpm.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            // the rpm's own: the entry program its scriptlets copy to each entry (rpm has no diversions)
            .Where(f => f != "/usr/lib/onekvm-remotes/onekvm-entry")
            .Order().ToList();
        Assert.Equal(debFiles, rpmFiles);
    }
}
