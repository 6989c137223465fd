using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.RootHelpers;

/// <summary>
/// OpenNebula's node package lets oneadmin run its root helpers through sudo by path
/// (share/pkgs/sudoers/debian/opennebula: Cmnd_Alias ONE_VTPM = /var/tmp/one/vtpm_setup,
/// ONE_VGPU = /var/tmp/one/vgpu; share/pkgs/sudoers/opennebula-node-kvm: oneadmin
/// ALL=(ALL:ALL) NOPASSWD: ... ONE_VGPU, ONE_VTPM). onehost sync puts the remotes tree in
/// /var/tmp/one, so onekvm's entries must sit exactly there. Shown with the real sudo, a
/// throwaway user standing in for oneadmin and the same rule in a sudoers.d file; the tree
/// is put at /var/tmp/one inside a private mount namespace (a tmpfs over /var/tmp), so
/// nothing of this host's /var/tmp is touched.
/// </summary>
public sealed class SudoersSpecs
{
    // runs inside the namespace; its arguments are data ($1..$5), never part of the script
    private const string InNamespace = """
        set -e
        mount -t tmpfs -o mode=1777 onekvm-sudoers-test /var/tmp
        cp -a "$1" /var/tmp/one
        chown -R "$2" /var/tmp/one
        echo "== sudo -l vtpm_setup"
        runuser -u "$2" -- sudo -n -l /var/tmp/one/vtpm_setup
        echo "== sudo -l vgpu"
        runuser -u "$2" -- sudo -n -l /var/tmp/one/vgpu
        echo "== sudo vtpm_setup recover"
        runuser -u "$2" -- sudo -n /var/tmp/one/vtpm_setup recover "$3" "$4"
        echo "== sudo -l deploy"
        runuser -u "$2" -- sudo -n -l /var/tmp/one/vmm/kvm/deploy || echo "refused $?"
        """;

    [Fact]
    public async Task Opennebulas_sudoers_rule_lets_oneadmin_run_onekvms_vtpm_setup_and_vgpu_where_onehost_sync_puts_them_and_nothing_else()
    {
        var id = (Environment.ProcessId % 100_000).ToString(CultureInfo.InvariantCulture);
        var user = "onekvmt" + id;
        var sudoers = $"/etc/sudoers.d/onekvm-test-{id}";
        using var vm = new NodeVmDirectory();
        var uuid = Guid.NewGuid().ToString();
        var libvirtState = Path.Combine("/var/lib/libvirt/swtpm", uuid);
        try
        {
            await MustAsync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]);
            await File.WriteAllTextAsync(sudoers + ".tmp", $"""
                # the rule of OpenNebula's node package, for a test user in place of oneadmin
                Cmnd_Alias ONEKVM_T{id}_VGPU = /var/tmp/one/vgpu
                Cmnd_Alias ONEKVM_T{id}_VTPM = /var/tmp/one/vtpm_setup
                {user} ALL=(ALL:ALL) NOPASSWD: ONEKVM_T{id}_VGPU, ONEKVM_T{id}_VTPM

                """);
            File.SetUnixFileMode(sudoers + ".tmp", UnixFileMode.UserRead | UnixFileMode.GroupRead);
            await MustAsync("visudo", ["-c", "-q", "-f", sudoers + ".tmp"]);
            File.Move(sudoers + ".tmp", sudoers);
            // the VM directory and its saved TPM belong to oneadmin, as on a node
            Directory.CreateDirectory(Path.Combine(vm.Path, "tpm"));
            await File.WriteAllTextAsync(Path.Combine(vm.Path, "tpm", "tpm2-00.permall"), "the saved TPM");
            await MustAsync("chown", ["-R", user, vm.Path]);

            var run = await ProcessRun.RunAsync("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", InNamespace, "sh",
                TestPaths.Remotes, user, uuid, vm.Path]);

            Assert.True(run.ExitCode == 0, run.ToString());
            var sections = run.Stdout.Split("== ", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("sudo -l vtpm_setup\n/var/tmp/one/vtpm_setup\n", sections[0]);
            Assert.Equal("sudo -l vgpu\n/var/tmp/one/vgpu\n", sections[1]);
            Assert.Equal("sudo vtpm_setup recover\n", sections[2]);
            Assert.Equal("sudo -l deploy\nrefused 1\n", sections[3]);
            // what ran through sudo was onekvm's vtpm_setup, as root: the state is in libvirt's root-owned tree
            Assert.Equal("the saved TPM", await File.ReadAllTextAsync(Path.Combine(libvirtState, "tpm2", "tpm2-00.permall")));
            var owner = await MustAsync("stat", ["-c", "%U %a", Path.Combine(libvirtState, "tpm2", "tpm2-00.permall")]);
            Assert.Equal($"{user} 600", owner.Stdout.Trim());
        }
        finally
        {
            File.Delete(sudoers + ".tmp");
            File.Delete(sudoers);
            await ProcessRun.RunAsync("userdel", [user]);
            if (Directory.Exists(libvirtState))
            {
                Directory.Delete(libvirtState, recursive: true);
            }
        }
    }

    private static async Task<ProcessResult> MustAsync(string program, string[] arguments)
    {
        var result = await ProcessRun.RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {result}");
        return result;
    }
}
