using System.Diagnostics;
using System.Xml.Linq;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// Two private libvirtds (peers of tests/peer/peer.py; the host's own daemon is never restarted) and
/// one domain, booted once, whose memory holds 384 MiB of random bytes (a kernel with a random initrd:
/// QEMU loads it into guest memory), so that a save, a restore or a migration lasts seconds and
/// libvirt's job is seen running; a detach waits on a BIOS that never releases the disk. Meanwhile a
/// daemon is restarted the way an upgrade does (SIGTERM, a new libvirtd in the same namespaces). QEMU
/// runs on; libvirt 9.0 finishes a save or a restore (seen once: a detach request) before it exits, and abandons a
/// migration. The action must answer what happened soon after the daemon is back, and leave the
/// domain on exactly one host, ready for the next action.
/// </summary>
// Not in CI (`Category=Soak`, tests/soak/libvirtd-restart.sh): whether the restart lands inside libvirt's job
// depends on timing; CI saw it miss the save's job once (the save was over before it was seen).
[Trait("Category", "Soak")]
public sealed class LibvirtdRestartSpecs(LibvirtdRestartSpecs.Hosts hosts) : IClassFixture<LibvirtdRestartSpecs.Hosts>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    /// <summary>Where the class's domain runs now (a migration spec leaves it where it went).</summary>
    private PeerLibvirtd A => hosts.Home;

    private PeerLibvirtd B => hosts.Away;

    private string Domain => hosts.Domain;

    [Fact]
    public async Task A_save_during_which_libvirtd_restarts_succeeds_when_libvirt_saved_the_domain_and_the_restore_that_follows_runs_it()
    {
        var result = await DuringRestartOf(A, A, Driver(A), "save", Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost");

        try
        {
            RestartedUnderTheAction(result);
            ProtocolAssert.Succeeded(result);
            Assert.Contains(ProtocolAssert.LogLines(result, "INFO"), l => l.Contains("although libvirtd restarted during the save", StringComparison.Ordinal));
            Assert.Null(await A.StateAsync(Domain));
            Assert.Null(await B.StateAsync(Domain));
            Assert.Contains($"<name>{Domain}</name>", await A.CheckedAsync("save-image-dumpxml", "--file", hosts.Checkpoint));
        }
        finally
        {
            // what oned runs next
            ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("restore", hosts.ActionData, hosts.Checkpoint, "localhost", Domain, hosts.Vm, "localhost"));
        }
        Assert.Equal("running", await A.StateAsync(Domain));
        Assert.False(File.Exists(hosts.Checkpoint));
    }

    [Fact]
    public async Task A_restore_during_which_libvirtd_restarts_succeeds_when_the_domain_came_up_and_the_checkpoint_goes()
    {
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("save", hosts.ActionData, Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost"));

        var result = await DuringRestartOf(A, A, Driver(A), "restore", hosts.Checkpoint, "localhost", Domain, hosts.Vm, "localhost");

        RestartedUnderTheAction(result);
        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await A.StateAsync(Domain));
        Assert.Null(await B.StateAsync(Domain));
        Assert.False(File.Exists(hosts.Checkpoint));
    }

    [Fact]
    public Task A_migration_whose_source_libvirtd_restarts_fails_in_one_sentence_with_the_vm_running_where_it_was_and_the_next_try_moves_it() =>
        MigrationUnderARestartOfAsync(A);

    [Fact]
    public Task A_migration_whose_destination_libvirtd_restarts_fails_in_one_sentence_with_the_vm_running_where_it_was_and_the_next_try_moves_it() =>
        MigrationUnderARestartOfAsync(B);

    /// <summary>A migration from A to B while <paramref name="restarted"/>'s libvirtd restarts: it fails, the VM runs on A, and the next try moves it.</summary>
    private async Task MigrationUnderARestartOfAsync(PeerLibvirtd restarted)
    {
        var result = await DuringRestartOf(restarted, A, Driver(A), "migrate", Domain, B.Host, "localhost", hosts.Vm, "localhost");

        RestartedUnderTheAction(result);
        // libvirt's own reason depends on the moment ("client socket is closed", "End of file while reading data")
        FailedAndKeepsRunningHere(result);
        Assert.Equal("running", await A.StateAsync(Domain));
        Assert.Null(await B.StateAsync(Domain));
        await MovesThereOnTheNextTryAsync();
    }

    private void FailedAndKeepsRunningHere(ProcessResult result)
    {
        var error = ProtocolAssert.Failed(result);
        Assert.StartsWith($"Could not migrate {Domain} to {B.Host}: ", error);
        Assert.EndsWith("; it keeps running on localhost.", error);
    }

    [Fact]
    public async Task A_detach_waiting_for_the_guest_while_libvirtd_restarts_asks_again_and_answers_that_the_guest_kept_the_disk()
    {
        // a BIOS with ACPI and no OS: it never releases a virtio disk, so the detach waits and asks again
        var name = TestNames.Domain("restart-detach");
        var definition = Path.Combine(hosts.Directory, name + ".xml");
        await File.WriteAllTextAsync(definition, DomainXml.Diskless(name).ToString());
        await A.CheckedAsync("create", definition);
        try
        {
            var image = Path.Combine(hosts.Directory, name + ".qcow2");
            Assert.Equal(0, (await ProcessRun.RunAsync("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"])).ExitCode);
            await A.CheckedAsync("attach-disk", name, image, "vdb", "--driver", "qemu", "--subdriver", "qcow2", "--targetbus", "virtio");
            var data = $"<VMM_DRIVER_ACTION_DATA><HOST>localhost</HOST><VM><ID>{hosts.Vm}</ID><TEMPLATE><DISK><DISK_ID>1</DISK_ID>"
                + "<TARGET>vdb</TARGET><DRIVER>qcow2</DRIVER><TYPE>FILE</TYPE></DISK></TEMPLATE></VM></VMM_DRIVER_ACTION_DATA>";

            using var running = RunningAction.Start(Driver(A), "detach_disk", name, image, "vdb", "1", hosts.Vm, "localhost");
            await running.WriteStdinAndCloseAsync(data);
            await Task.Delay(TimeSpan.FromSeconds(2)); // inside libvirt's 5 s wait for the guest
            var result = await RestartAndWaitAsync(A, running, "detach_disk");

            Assert.StartsWith($"Could not detach disk vdb from {name}: the guest has not released it after 3 attempts (VIRSH_RETRIES)",
                ProtocolAssert.Failed(result), StringComparison.Ordinal);
            Assert.Equal("running", await A.StateAsync(name));
            Assert.Contains(image, await A.CheckedAsync("domblklist", name));
        }
        finally
        {
            await A.RemoveAsync(name);
        }
    }

    /// <summary>The migration oned runs again goes through; the domain stays there for the next spec.</summary>
    private async Task MovesThereOnTheNextTryAsync()
    {
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("migrate", hosts.ActionData, Domain, B.Host, "localhost", hosts.Vm, "localhost"));
        Assert.Equal("running", await B.StateAsync(Domain));
        Assert.Null(await A.StateAsync(Domain));
        hosts.Moved();
    }

    /// <summary>onekvm runs against <paramref name="on"/>'s libvirtd; the peers advertise names nobody resolves, so migrations go to loopback.</summary>
    private static Driver Driver(PeerLibvirtd on) => Infrastructure.Driver.Staged.WithKvmrc($"""
        LIBVIRT_URI={on.Uri}
        QEMU_PROTOCOL=qemu+tcp
        MIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"
        SYNC_TIME=no
        """);

    /// <summary>
    /// Starts the action, waits until libvirt's job for it runs on <paramref name="jobOn"/>, restarts
    /// <paramref name="restarted"/>'s libvirtd and answers how the action ended.
    /// </summary>
    private async Task<ProcessResult> DuringRestartOf(PeerLibvirtd restarted, PeerLibvirtd jobOn, Driver driver, string action, params string[] args)
    {
        using var running = RunningAction.Start(driver, action, args);
        await running.WriteStdinAndCloseAsync(hosts.ActionData);
        Assert.True(await JobRunsAsync(jobOn, action), $"libvirt's job for {action} was never seen on {jobOn.Name}");
        return await RestartAndWaitAsync(restarted, running, action);
    }

    /// <summary>
    /// Restarts the daemon (its SIGTERM waits for the call in progress: seconds to a minute) and waits for the action,
    /// which must answer soon after the new daemon does: within the 30 s it waits for libvirtd, and the checks.
    /// </summary>
    private static async Task<ProcessResult> RestartAndWaitAsync(PeerLibvirtd restarted, RunningAction running, string action)
    {
        await restarted.RestartAsync();
        var clock = Stopwatch.StartNew();
        Assert.True(Directory.Exists($"/proc/{running.Pid}"), $"{action} answered while libvirtd was still away (it did not wait for the daemon, or the restart came after it ended)");
        var result = await running.WaitForExitAsync(Bound);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{action} answered {clock.Elapsed.TotalSeconds:0} s after libvirtd was back");
        return result;
    }

    /// <summary>Waits until libvirt runs a job for the domain (a restore: until the domain it restores exists, paused while it loads).</summary>
    private async Task<bool> JobRunsAsync(PeerLibvirtd on, string action)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            var seen = action == "restore"
                ? await on.StateAsync(Domain) is not null
                : (await on.VirshAsync("domjobinfo", Domain)).Stdout.Contains("Unbounded", StringComparison.Ordinal);
            if (seen)
            {
                return true;
            }
            await Task.Delay(50);
        }
        return false;
    }

    /// <summary>The restart met the action: a virsh call of it lost the daemon or found it gone (else the spec tested nothing).</summary>
    private static void RestartedUnderTheAction(ProcessResult result) =>
        Assert.True(new[] { "Disconnected from", "End of file while reading data", "Connection reset by peer", "Connection refused", "libvirtd restarted" }
                .Any(m => result.Stderr.Contains(m, StringComparison.Ordinal)),
            "the restart did not come during the action: " + result.Stderr);

    /// <summary>Peers A and B, and the class's domain running on A.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        private const int RandomMiB = 384;

        private readonly string _directory = TestPaths.NewScratchDirectory("restart");

        public string Directory => _directory;

        private PeerLibvirtd? _a;
        private PeerLibvirtd? _b;

        public PeerLibvirtd A => _a ?? throw new InvalidOperationException("not started");

        public PeerLibvirtd B => _b ?? throw new InvalidOperationException("not started");

        private bool _onB;

        public PeerLibvirtd Home => _onB ? B : A;

        public PeerLibvirtd Away => _onB ? A : B;

        /// <summary>The domain went from <see cref="Home"/> to <see cref="Away"/>.</summary>
        public void Moved() => _onB = !_onB;

        public string Domain { get; } = TestNames.Domain("restart");

        public int VmId { get; } = TestNames.OneVmId();

        public string Vm => VmId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>In OpenNebula's layout: datastores/0/&lt;vm&gt;/checkpoint.</summary>
        public string Checkpoint => Path.Combine(_directory, "datastores", "0", Vm, "checkpoint");

        public string ActionData => LifecycleXml.ActionData(VmId);

        public async Task InitializeAsync()
        {
            var a = PeerLibvirtd.StartAsync("ra", Path.Combine(_directory, "peer-a"), "onekvm-peer-ra");
            var b = PeerLibvirtd.StartAsync("rb", Path.Combine(_directory, "peer-b"), "onekvm-peer-rb");
            _a = await a;
            _b = await b;
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Checkpoint)!);
            var initrd = Path.Combine(_directory, "random.img");
            await using (var file = File.Create(initrd))
            {
                var bytes = new byte[1 << 20];
                var random = new Random(17);
                for (var i = 0; i < RandomMiB; i++)
                {
                    random.NextBytes(bytes);
                    await file.WriteAsync(bytes);
                }
            }
            var xml = DomainXml.Diskless(Domain).Transform(d =>
            {
                d.Element("memory")!.ReplaceWith(new XElement("memory", new XAttribute("unit", "MiB"), RandomMiB + 640));
                d.Element("currentMemory")?.Remove();
                var os = d.Element("os")!;
                os.Elements().Where(e => e.Name != "type").Remove();
                os.Add(new XElement("kernel", Path.Combine(TestPaths.GuestDirectory, "vmlinuz")), new XElement("initrd", initrd),
                    new XElement("cmdline", "console=ttyS0 panic=0"));
            });
            var definition = Path.Combine(_directory, "domain.xml");
            await File.WriteAllTextAsync(definition, xml.ToString());
            await A.CheckedAsync("create", definition);
        }

        public async Task DisposeAsync()
        {
            if (_a is not null)
            {
                await _a.StopAsync();
            }
            if (_b is not null)
            {
                await _b.StopAsync();
            }
            System.IO.Directory.Delete(_directory, recursive: true);
        }
    }
}
