using System.Diagnostics;
using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// CLEANUP_MEMORY_ON_START as oneadmin on a stock OpenNebula node: the driver is an
/// unprivileged user whose only way to drop caches is OpenNebula's sudoers rule ONE_MEM,
/// which allows one exact command line. Everything is real: sudo, the rule (written for
/// a throwaway user), sysctl, virsh (with libvirt's test driver, which an unprivileged
/// user may use; the system libvirtd here answers root only). sysctl writes into two
/// files bind-mounted over /proc/sys/vm/drop_caches and compact_memory in a mount
/// namespace of the action's own, so the shared machine's caches are left alone and the
/// test sees what was written.
/// </summary>
public sealed class MemoryCleanupSudoSpecs
{
    [Fact]
    public async Task Oneadmin_with_opennebulas_sudoers_rule_cleans_memory_up_before_a_deploy()
    {
        using var user = SudoUser.WithOpenNebulasMemoryRule();
        var scratch = TestPaths.NewScratchDirectory("sudo-mem");
        var vmDirectory = Path.Combine(scratch, "datastores", "0", "42");
        Directory.CreateDirectory(vmDirectory);
        await user.OwnAsync(vmDirectory);
        var dropCaches = Knob(scratch, "drop_caches");
        var compactMemory = Knob(scratch, "compact_memory");
        var name = TestNames.Domain("sudo-mem");
        var uuid = Guid.NewGuid().ToString();
        var node = Path.Combine(scratch, "test-node.xml");
        // libvirt's test driver starts from this node; the domain is defined and shut off, so deploy may create it
        await File.WriteAllTextAsync(node, $"""
            <node>
              <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
                <name>{name}</name><uuid>{uuid}</uuid><memory>8192</memory><vcpu>1</vcpu>
                <os><type arch='x86_64'>hvm</type></os><test:runstate>5</test:runstate>
              </domain>
            </node>
            """);
        var deployment = $"<domain type='test'><name>{name}</name><uuid>{uuid}</uuid><memory>8192</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>";

        var result = await Driver.Staged
            .WithKvmrc($"LIBVIRT_URI=test://{node}\nCLEANUP_MEMORY_ON_START=yes\n")
            .WithEnvironment("HOME", vmDirectory)
            .Under("unshare", "--mount", "--propagation", "private", "bash", "-c",
                """mount --bind "$1" /proc/sys/vm/drop_caches && mount --bind "$2" /proc/sys/vm/compact_memory && shift 3 && exec "$@" """,
                "knobs", dropCaches, compactMemory, "--", "setpriv", $"--reuid={user.Name}", $"--regid={user.Name}", "--init-groups")
            .RunWithStdinAsync("deploy", deployment, Path.Combine(vmDirectory, "deployment.0"), "localhost", "42", "localhost");

        ProtocolAssert.Succeeded(result);
        Assert.Equal(uuid, result.Stdout.Trim());
        Assert.DoesNotContain(result.StderrLines, l => l.Contains("memory cleanup", StringComparison.Ordinal));
        Assert.Equal("3", (await File.ReadAllTextAsync(dropCaches)).Trim());
        Assert.Equal("1", (await File.ReadAllTextAsync(compactMemory)).Trim());
        // the rule is as strict as OpenNebula's: the command line onekvm used to give it is refused
        Assert.False(await user.MaySudoAsync("sysctl", "-q", "vm.drop_caches=3", "vm.compact_memory=1"), "the test rule is too permissive");
    }

    private static string Knob(string directory, string name)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, "0\n");
        return path;
    }
}

/// <summary>
/// A throwaway system user (onekvm-t-&lt;pid&gt;-mem) with a file in /etc/sudoers.d granting it
/// what OpenNebula's node package grants oneadmin for memory cleanup; disposing removes both,
/// and a later run removes those of a run that died.
/// </summary>
internal sealed class SudoUser : IDisposable
{
    /// <summary>ONE_MEM as OpenNebula's share/pkgs/sudoers defines it, and the node-kvm package's grant of it.</summary>
    private const string OneMemCommand = "/usr/sbin/sysctl vm.drop_caches=3 vm.compact_memory=1";

    private const string Prefix = "onekvm-t-";

    private SudoUser(string name, string sudoersFile)
    {
        Name = name;
        SudoersFile = sudoersFile;
    }

    public string Name { get; }

    public string SudoersFile { get; }

    public static SudoUser WithOpenNebulasMemoryRule()
    {
        RemoveLeftovers();
        var pid = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var name = $"{Prefix}{pid}-mem";
        Run("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name);
        var file = Path.Combine("/etc/sudoers.d", name);
        var alias = $"ONEKVM_T_{pid}_MEM";
        File.WriteAllText(file, $"Cmnd_Alias {alias} = {OneMemCommand}\n{name} ALL=(ALL:ALL) NOPASSWD: {alias}\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        var user = new SudoUser(name, file);
        Run("visudo", "-c", "-f", file);
        return user;
    }

    /// <summary>Gives the user a directory of the test run (the deployment file is written there).</summary>
    public async Task OwnAsync(string directory)
    {
        var chown = await ProcessRun.RunAsync("chown", [$"{Name}:{Name}", directory]);
        Assert.True(chown.ExitCode == 0, "cannot chown: " + chown);
    }

    /// <summary>What the real sudo answers this user for the exact command line (sudo -n -l).</summary>
    public async Task<bool> MaySudoAsync(params string[] command)
    {
        var check = await ProcessRun.RunAsync("setpriv", [$"--reuid={Name}", $"--regid={Name}", "--init-groups", "sudo", "-n", "-l", .. command]);
        return check.ExitCode == 0;
    }

    public void Dispose()
    {
        File.Delete(SudoersFile);
        Run("userdel", Name);
    }

    private static void RemoveLeftovers()
    {
        foreach (var file in Directory.GetFiles("/etc/sudoers.d", Prefix + "*-mem"))
        {
            var name = Path.GetFileName(file);
            if (int.TryParse(name[Prefix.Length..^"-mem".Length], out var pid) && !IsAlive(pid))
            {
                File.Delete(file);
                ProcessRun.RunAsync("userdel", [name]).GetAwaiter().GetResult();
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void Run(string program, params string[] args)
    {
        var result = ProcessRun.RunAsync(program, args).GetAwaiter().GetResult();
        Assert.True(result.ExitCode == 0, $"{program} failed (the test needs root and sudo, see tests/setup/hypervisor.sh): {result}");
    }
}
