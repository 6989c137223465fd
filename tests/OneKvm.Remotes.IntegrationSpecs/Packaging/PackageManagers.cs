using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Packaging;

/// <summary>
/// The real rpm or dpkg working on a private root with its own database (never this machine's
/// /var/lib/one). rpm runs its scriptlets chrooted into the root, so the root gets busybox as
/// /bin/sh and the few tools the scriptlets use; dpkg runs them outside with DPKG_ROOT set.
/// </summary>
public sealed class PackageManager
{
    private static readonly string[] BusyboxTools = ["sh", "mv", "cp", "rm", "rmdir", "mkdir", "chmod", "head", "printf", "dirname", "cat"];

    private PackageManager(string format, string root)
    {
        Format = format;
        Root = root;
    }

    public string Format { get; }

    public string Root { get; }

    public string Remotes => Path.Combine(Root, "var", "lib", "one", "remotes");

    public static async Task<PackageManager> CreateAsync(string format, string root)
    {
        if (format == "rpm")
        {
            Directory.CreateDirectory(Path.Combine(root, "bin"));
            Directory.CreateDirectory(Path.Combine(root, "dev"));
            Directory.CreateDirectory(Path.Combine(root, "tmp"));
            File.Copy("/bin/busybox", Path.Combine(root, "bin", "busybox"));
            foreach (var tool in BusyboxTools)
            {
                File.CreateSymbolicLink(Path.Combine(root, "bin", tool), "busybox");
            }
            await Must(ProcessRun.RunAsync("mknod", ["-m", "0666", Path.Combine(root, "dev", "null"), "c", "1", "3"]));
            await Must(ProcessRun.RunAsync("rpm", ["--root", root, "--dbpath", "/var/lib/rpm", "--initdb"]));
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(root, "var", "lib", "dpkg", "info"));
            Directory.CreateDirectory(Path.Combine(root, "var", "lib", "dpkg", "updates"));
            await File.WriteAllTextAsync(Path.Combine(root, "var", "lib", "dpkg", "status"), "");
        }
        return new PackageManager(format, root);
    }

    public Task InstallAsync(string file) => RunAsync(["-i", file]);

    public Task UpgradeAsync(string file) => RunAsync(Format == "rpm" ? ["-U", file] : ["-i", file]);

    public Task EraseAsync(string package) => RunAsync(Format == "rpm" ? ["-e", package] : ["--purge", package]);

    private async Task RunAsync(string[] args)
    {
        var result = Format == "rpm"
            ? await ProcessRun.RunAsync("rpm", ["--root", Root, "--dbpath", "/var/lib/rpm", "--nodeps", .. args])
            : await ProcessRun.RunAsync("dpkg", ["--root=" + Root, "--force-script-chrootless", "--force-depends", "--log=/dev/null", .. args]);
        Assert.True(result.ExitCode == 0, $"{Format} {string.Join(' ', args)}: {result}");
    }

    private static async Task Must(Task<ProcessResult> run)
    {
        var result = await run;
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}

/// <summary>
/// A stand-in for the opennebula package: it owns a script at every path onekvm's packages
/// ship or move aside (from the action table's manifest), and upstream's kvmrc, each saying
/// which version wrote it. Built with the distribution's own rpmbuild and dpkg-deb.
/// </summary>
public static class UpstreamPackage
{
    public const string Kvmrc = "etc/vmm/kvm/kvmrc";

    public static string Content(string path, int version) => $"#!/bin/sh\n# opennebula {version}: {path}\n";

    public static async Task<string> BuildAsync(string format, int version, IEnumerable<string> paths, string outDirectory)
    {
        var work = TestPaths.NewScratchDirectory("upstream-pkg");
        var tree = Path.Combine(work, "tree");
        var files = paths.Append(Kvmrc).ToList();
        foreach (var path in files)
        {
            var file = Path.Combine(tree, "var", "lib", "one", "remotes", path);
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, Content(path, version));
            File.SetUnixFileMode(file, (UnixFileMode)0b111_101_101);
        }
        ProcessResult result;
        string built;
        if (format == "rpm")
        {
            var spec = Path.Combine(work, "opennebula.spec");
            await File.WriteAllTextAsync(spec, $"""
                Name: opennebula
                Version: {version}
                Release: 1
                Summary: stand-in for OpenNebula's package in onekvm's tests
                License: Apache-2.0
                BuildArch: noarch
                AutoReqProv: no

                %description
                Owns upstream's files at the paths onekvm replaces.

                %install
                cp -a {tree}/. %{"{"}buildroot{"}"}/

                %files
                {string.Join('\n', files.Select(f => "/var/lib/one/remotes/" + f))}

                """);
            result = await ProcessRun.RunAsync("rpmbuild", ["-bb", "--quiet", "--define", $"_topdir {work}/top", spec]);
            built = Path.Combine(work, "top", "RPMS", "noarch", $"opennebula-{version}-1.noarch.rpm");
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(tree, "DEBIAN"));
            await File.WriteAllTextAsync(Path.Combine(tree, "DEBIAN", "control"),
                $"Package: opennebula\nVersion: {version}\nArchitecture: all\nMaintainer: tests <tests@example.org>\nDescription: stand-in for OpenNebula's package\n");
            built = Path.Combine(work, $"opennebula_{version}_all.deb");
            result = await ProcessRun.RunAsync("dpkg-deb", ["--root-owner-group", "--build", tree, built]);
        }
        Assert.True(result.ExitCode == 0, result.ToString());
        var target = Path.Combine(outDirectory, Path.GetFileName(built));
        File.Copy(built, target);
        return target;
    }
}
