using System.Diagnostics;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Lifecycle;

/// <summary>
/// Two private libvirtds (peers of tests/peer/peer.py; the host's own daemon is never restarted) and one
/// domain, and a daemon restarted the way an upgrade does (SIGTERM, a new libvirtd in the same namespaces)
/// or after a crash (SIGKILL) while libvirt's job for the action runs. The restart lands inside the job for
/// certain: the domain's QEMU is stopped (SIGSTOP) before the job can end (before a save or a migration
/// starts; for a restore or an incoming migration, by the peer's libvirt hook as QEMU starts), so the job
/// waits on it. Measured with libvirt 9.0: a SIGTERMed libvirtd stops listening and drops its clients at
/// once, then waits up to 30 s for the calls in progress; a QEMU continued within that time lets it finish
/// a save or a restore before it exits; a QEMU continued only once the new daemon is up leaves the job
/// abandoned (the new daemon cancels a save or an outgoing migration, and the domain runs on). Each spec
/// chooses one of the two, so its outcome is certain; the action must then answer what happened soon after
/// the daemon is back, and leave the domain on exactly one host, ready for the next action.
/// </summary>
public sealed class LibvirtdRestartSpecs(LibvirtdRestartSpecs.Hosts hosts) : IClassFixture<LibvirtdRestartSpecs.Hosts>
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(3);

    private static readonly TimeSpan JobWait = TimeSpan.FromMinutes(1);

    /// <summary>How long a restarted daemon stays away before the new one starts.</summary>
    private static readonly TimeSpan Away = TimeSpan.FromSeconds(3);

    /// <summary>Where the class's domain runs now (a migration spec leaves it where it went).</summary>
    private PeerLibvirtd A => hosts.Home;

    private PeerLibvirtd B => hosts.Away;

    private string Domain => hosts.Domain;

    [Fact]
    public async Task A_save_during_which_libvirtd_restarts_succeeds_when_libvirt_saved_the_domain_and_the_restore_that_follows_runs_it()
    {
        // continued while the old daemon waits for its calls: it finishes the save before it exits
        var (result, _) = await StoppedDuringRestartAsync(A, "save", Continue.WhileDown, crash: false, "save",
            Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost");

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
            await RestoreAsync(); // what oned runs next
        }
    }

    [Fact]
    public async Task A_save_during_which_libvirtd_crashes_fails_in_one_sentence_with_the_vm_running_no_partial_checkpoint_and_the_next_save_works()
    {
        // SIGKILL: nobody finishes the job; QEMU goes on once the new daemon is up
        var (result, qemu) = await StoppedDuringRestartAsync(A, "save", Continue.WhenBack, crash: true, "save",
            Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost");

        RestartedUnderTheAction(result);
        Assert.Equal($"Could not save domain {Domain} to {hosts.Checkpoint}: libvirtd restarted during the save and did not finish it.",
            ProtocolAssert.Failed(result));
        Assert.Equal("running", await SettledStateAsync(A));
        Assert.Null(await B.StateAsync(Domain));
        Assert.False(File.Exists(hosts.Checkpoint), "a partial checkpoint was left where a restore would take it");
        Assert.Equal(qemu, A.QemuPid(Domain));

        // what oned does next: the VM is still RUNNING for it, so it may save it again
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("save", hosts.ActionData, Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost"));
        Assert.Null(await A.StateAsync(Domain));
        await RestoreAsync();
    }

    [Fact]
    public async Task A_restore_during_which_libvirtd_restarts_succeeds_when_the_domain_came_up_and_the_checkpoint_goes()
    {
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("save", hosts.ActionData, Domain, hosts.Checkpoint, "localhost", hosts.Vm, "localhost"));

        // libvirt's job for a restore is "start"
        var result = await StoppedAsItStartsDuringRestartAsync(A, "start", Continue.WhileDown, "restore",
            hosts.Checkpoint, "localhost", Domain, hosts.Vm, "localhost");

        RestartedUnderTheAction(result);
        ProtocolAssert.Succeeded(result);
        Assert.Equal("running", await A.StateAsync(Domain));
        Assert.Null(await B.StateAsync(Domain));
        Assert.False(File.Exists(hosts.Checkpoint));
    }

    [Fact]
    public async Task A_migration_whose_source_libvirtd_restarts_fails_in_one_sentence_with_the_vm_running_where_it_was_and_the_next_try_moves_it()
    {
        // the source's QEMU stopped before the migration: its job cannot get past its first QEMU command
        var (result, qemu) = await StoppedDuringRestartAsync(A, "migration out", Continue.WhenBack, crash: false, "migrate",
            Domain, B.Host, "localhost", hosts.Vm, "localhost");

        await FailedAndKeepsRunningHereAsync(result, qemu);
    }

    [Fact]
    public async Task A_migration_whose_destination_libvirtd_restarts_fails_in_one_sentence_with_the_vm_running_where_it_was_and_the_next_try_moves_it()
    {
        // the destination's QEMU stopped by the hook as it starts: the incoming job waits on it
        var qemu = A.QemuPid(Domain);
        var result = await StoppedAsItStartsDuringRestartAsync(B, "migration in", Continue.WhenBack, "migrate",
            Domain, B.Host, "localhost", hosts.Vm, "localhost");

        await FailedAndKeepsRunningHereAsync(result, qemu);
    }

    /// <summary>The migration failed in onekvm's sentence, the VM runs on A (the same QEMU) and not on B, and the next try moves it.</summary>
    private async Task FailedAndKeepsRunningHereAsync(ProcessResult result, int qemu)
    {
        RestartedUnderTheAction(result);
        // libvirt's own reason depends on the moment ("client socket is closed", "End of file while reading data")
        var error = ProtocolAssert.Failed(result);
        Assert.True(error.StartsWith($"Could not migrate {Domain} to {B.Host}: ", StringComparison.Ordinal)
            && error.EndsWith("; it keeps running on localhost.", StringComparison.Ordinal), "not onekvm's sentence: " + error);
        Assert.Equal("running", await SettledStateAsync(A));
        Assert.Equal(qemu, A.QemuPid(Domain));
        Assert.Null(await B.StateAsync(Domain));

        // what oned runs next: the same migration, which goes through; the domain stays there for the next spec
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("migrate", hosts.ActionData, Domain, B.Host, "localhost", hosts.Vm, "localhost"));
        Assert.Equal("running", await B.StateAsync(Domain));
        Assert.Null(await A.StateAsync(Domain));
        hosts.Moved();
    }

    [Fact]
    public async Task A_detach_waiting_for_the_guest_while_libvirtd_restarts_asks_again_and_answers_that_the_guest_kept_the_disk()
    {
        // a BIOS with ACPI and no OS: it never releases a virtio disk, so the detach waits and asks again
        // (VIRSH_RETRIES=3 times libvirt's 5 s wait): a restart once its first detach-disk runs lands inside it for certain
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
            Assert.True(await WaitAsync(() => DetachAskedAsync(name)), "onekvm never asked libvirt for the detach");
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

    /// <summary>onekvm's virsh detach-disk for the domain runs (the call that waits for the guest).</summary>
    private static async Task<bool> DetachAskedAsync(string name) =>
        (await ProcessRun.RunAsync("pgrep", ["-f", $"virsh .*detach-disk --domain {name}"])).ExitCode == 0;

    private async Task RestoreAsync()
    {
        ProtocolAssert.Succeeded(await Driver(A).RunWithStdinAsync("restore", hosts.ActionData, hosts.Checkpoint, "localhost", Domain, hosts.Vm, "localhost"));
        Assert.Equal("running", await A.StateAsync(Domain));
        Assert.False(File.Exists(hosts.Checkpoint));
    }

    /// <summary>onekvm runs against <paramref name="on"/>'s libvirtd; the peers advertise names nobody resolves, so migrations go to loopback.</summary>
    private static Driver Driver(PeerLibvirtd on) => Infrastructure.Driver.Staged.WithKvmrc($"""
        LIBVIRT_URI={on.Uri}
        QEMU_PROTOCOL=qemu+tcp
        MIGRATE_OPTIONS="--migrateuri tcp://127.0.0.1"
        SYNC_TIME=no
        """);

    /// <summary>When the stopped QEMU goes on: while the old daemon waits for its calls, or once the new one answers.</summary>
    private enum Continue
    {
        WhileDown,
        WhenBack,
    }

    /// <summary>
    /// Stops the domain's QEMU on <paramref name="restarted"/>, starts the action on A, waits until libvirt runs
    /// <paramref name="job"/> for it (its first QEMU command waits), restarts the daemon and continues QEMU as
    /// <paramref name="resume"/> says. Answers the action's result and the QEMU's pid.
    /// </summary>
    private async Task<(ProcessResult, int)> StoppedDuringRestartAsync(PeerLibvirtd restarted, string job, Continue resume, bool crash,
        string action, params string[] args)
    {
        var qemu = restarted.QemuPid(Domain);
        Assert.True(await restarted.SignalQemuAsync(Domain, "STOP", qemu));
        try
        {
            return (await RestartDuringAsync(restarted, () => restarted.WaitForJobAsync(Domain, job, JobWait), () => qemu, resume, action, args,
                crash), qemu);
        }
        finally
        {
            await restarted.SignalQemuAsync(Domain, "CONT", qemu);
        }
    }

    /// <summary>
    /// As <see cref="StoppedDuringRestartAsync"/>, for an action whose job starts a QEMU on <paramref name="restarted"/>
    /// (a restore, an incoming migration): the peer's hook stops it as it starts, before it loads anything.
    /// </summary>
    private async Task<ProcessResult> StoppedAsItStartsDuringRestartAsync(PeerLibvirtd restarted, string job, Continue resume, string action,
        params string[] args)
    {
        restarted.FreezeWhenStarted(Domain);
        int? qemu = null;
        try
        {
            return await RestartDuringAsync(restarted, async () =>
            {
                var stopped = await WaitAsync(() => restarted.IsFrozenOnStart(Domain) && restarted.AsyncJob(Domain) == job);
                qemu = stopped ? restarted.QemuPid(Domain) : null;
                return stopped;
            }, () => qemu!.Value, resume, action, args, crash: false);
        }
        finally
        {
            restarted.CancelFreezeWhenStarted(Domain);
            if (qemu is not null)
            {
                await restarted.SignalQemuAsync(Domain, "CONT", qemu);
            }
        }
    }

    /// <summary>Starts the action on A, waits until <paramref name="jobRuns"/>, restarts the daemon and continues the stopped QEMU.</summary>
    private async Task<ProcessResult> RestartDuringAsync(PeerLibvirtd restarted, Func<Task<bool>> jobRuns, Func<int> qemu, Continue resume,
        string action, string[] args, bool crash)
    {
        using var running = RunningAction.Start(Driver(A), action, args);
        await running.WriteStdinAndCloseAsync(hosts.ActionData);
        Assert.True(await jobRuns(), $"libvirt's job for {action} was never seen in progress on {restarted.Name} with its QEMU stopped");
        Func<Task> go = () => restarted.SignalQemuAsync(Domain, "CONT", qemu());
        return await RestartAndWaitAsync(restarted, running, action, whileDown: resume == Continue.WhileDown ? go : null,
            whenBack: resume == Continue.WhenBack ? go : null, crash);
    }

    /// <summary>
    /// Restarts the daemon (<paramref name="crash"/>: SIGKILL) and waits for the action, which must answer soon after the
    /// new daemon does. <paramref name="whileDown"/> runs once the old daemon has stopped listening (it is then waiting
    /// for its calls in progress), <paramref name="whenBack"/> once the new one answers.
    /// </summary>
    private static async Task<ProcessResult> RestartAndWaitAsync(PeerLibvirtd restarted, RunningAction running, string action,
        Func<Task>? whileDown = null, Func<Task>? whenBack = null, bool crash = false)
    {
        Assert.False(running.HasExited, $"{action} ended before libvirtd was restarted");
        // the daemon stays away a while: the action must wait for it, not read the host while nobody answers
        var restart = restarted.RestartAsync(Away, crash);
        if (whileDown is not null)
        {
            Assert.True(await restarted.WaitUntilItStopsListeningAsync(JobWait), $"{restarted.Name}'s libvirtd never stopped listening");
            await whileDown();
        }
        await restart;
        var clock = Stopwatch.StartNew();
        if (whenBack is not null)
        {
            await whenBack();
        }
        var result = await running.WaitForExitAsync(Bound);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{action} answered {clock.Elapsed.TotalSeconds:0} s after libvirtd was back");
        return result;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition) => await WaitAsync(() => Task.FromResult(condition()));

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + JobWait;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    /// <summary>The domain's state once libvirt has ended what the restart left (a job it cancels on reconnecting).</summary>
    private async Task<string?> SettledStateAsync(PeerLibvirtd on)
    {
        string? state = null;
        await WaitAsync(async () => (state = await on.StateAsync(Domain)) == "running" && on.AsyncJob(Domain) is null);
        return state;
    }

    /// <summary>The restart met the action: a virsh call of it lost the daemon or found it gone (else the spec tested nothing).</summary>
    private static void RestartedUnderTheAction(ProcessResult result) =>
        Assert.True(new[] { "Disconnected from", "End of file while reading data", "Connection reset by peer", "Connection refused", "client socket is closed",
                    "libvirtd restarted" }
                .Any(m => result.Stderr.Contains(m, StringComparison.Ordinal)),
            "the restart did not come during the action: " + result.Stderr);

    /// <summary>Peers A and B (with the freeze hook), and the class's domain running on A.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
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
            var a = PeerLibvirtd.StartAsync("ra", Path.Combine(_directory, "peer-a"), "onekvm-peer-ra", freezeHook: true);
            var b = PeerLibvirtd.StartAsync("rb", Path.Combine(_directory, "peer-b"), "onekvm-peer-rb", freezeHook: true);
            _a = await a;
            _b = await b;
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Checkpoint)!);
            var definition = Path.Combine(_directory, "domain.xml");
            await File.WriteAllTextAsync(definition, DomainXml.Diskless(Domain).ToString());
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
