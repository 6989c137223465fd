using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>
/// migrate's reconciliation after virsh migrate failed, with a scripted virsh for the
/// placements a real pair of hosts cannot be made to produce on demand (the client dying
/// between libvirt's Finish and Confirm phases). Real migrations are in the integration specs.
/// </summary>
public sealed class MigrateActionSpecs : IDisposable
{
    private const string Uuid = "0a6a5e4c-3f4b-4b59-9d55-1d0c0b7c1f10";
    private const string NotFound = "error: failed to get domain 'one-7'\n";

    private readonly LifecycleHost _host = new();

    public MigrateActionSpecs()
    {
        _host.Virsh
            .On("dominfo", stdout: $"Name:           one-7\nUUID:           {Uuid}\nState:          running\nPersistent:     no\n")
            .On("domstate", exit: 1, stderr: NotFound, call: 1) // the destination has no such domain yet
            .On("snapshot-list", stdout: "\n")
            .On("migrate", exit: 1, stderr: "error: operation failed: job 'migration out' failed: connection reset\n")
            .On("destroy")
            .On("undefine")
            .On("resume");
    }

    [Fact]
    public async Task An_interrupted_migration_whose_job_goes_on_is_watched_for_20_s_after_the_abort_and_not_longer()
    {
        _host.Virsh.On("migrate", seconds: 30).On("domjobabort").On("domjobinfo", stdout: "Job type:         Unbounded\n");
        using var signal = new CancellationTokenSource();

        var running = OneKvm.Remotes.Dispatch.Dispatcher.RunAsync(Path.Combine(_host.EntryDirectory, "migrate"),
            ["one-7", "node2", "node1", "7", "node1"], _host.Host.Build(), signal.Token);
        // the signal comes while virsh migrate runs, however long the calls before it took on a busy host
        for (var waited = 0; _host.Virsh.CallsTo("migrate") == 0 && !running.IsCompleted && waited < 60_000; waited += 20)
        {
            await Task.Delay(20);
        }
        await signal.CancelAsync();
        var code = await running;

        Assert.Equal(1, code);
        Assert.Equal(1, _host.Virsh.CallsTo("domjobabort"));
        Assert.Equal(40, _host.Virsh.CallsTo("domjobinfo")); // one look every 0.5 s
        Assert.Equal(TimeSpan.FromSeconds(20), _host.Host.Time.Elapsed);
    }

    [Fact]
    public async Task When_the_destination_took_over_although_virsh_failed_the_paused_source_copy_is_removed_and_it_is_success()
    {
        _host.Virsh.On("domstate", stdout: "paused (migrating)\n", call: 2).On("domstate", stdout: "running (migrated)\n", call: 3);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(0, code);
        Assert.Equal(["dominfo", "domstate", "snapshot-list", "migrate", "domstate", "domstate", "destroy", "undefine"], _host.Virsh.Verbs);
        Assert.Equal("", _host.Host.Sentences);
    }

    [Fact]
    public async Task A_failed_migration_removes_the_incoming_copy_and_resumes_the_vm_where_it_was()
    {
        _host.Virsh.On("domstate", stdout: "paused (migrating)\n", call: 2).On("domstate", stdout: "paused (migrating)\n", call: 3);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Could not migrate one-7 to node2: operation failed: job 'migration out' failed: connection reset; it keeps running on node1.", _host.Sentence);
        Assert.Equal(["destroy", "undefine", "resume"], _host.Virsh.Verbs.Skip(6));
        Assert.All(_host.Virsh.Calls.Skip(6), call => Assert.Contains(Uuid, call));
    }

    [Fact]
    public async Task An_incoming_copy_its_libvirtd_removed_by_itself_meanwhile_counts_as_removed()
    {
        _host.Virsh.On("domstate", stdout: "running\n", call: 2).On("domstate", stdout: "paused (starting up)\n", call: 3)
            .On("destroy", exit: 1, stderr: $"error: failed to get domain '{Uuid}'\nerror: Domain not found: no domain with matching uuid '{Uuid}'\n");

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Could not migrate one-7 to node2: operation failed: job 'migration out' failed: connection reset; it keeps running on node1.", _host.Sentence);
    }

    [Fact]
    public async Task Leaving_the_vm_on_neither_host_is_said_plainly()
    {
        _host.Virsh.On("domstate", exit: 1, stderr: NotFound, call: 2).On("domstate", exit: 1, stderr: NotFound, call: 3);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Could not migrate one-7 to node2 (operation failed: job 'migration out' failed: connection reset), and it is now on neither node1 nor node2.",
            _host.Sentence);
    }

    [Fact]
    public async Task A_failed_post_copy_leaves_both_halves_of_the_memory_alone_and_says_so()
    {
        _host.Virsh.On("domstate", stdout: "paused (post-copy failed)\n", call: 2).On("domstate", stdout: "paused (post-copy failed)\n", call: 3);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Could not migrate one-7 to node2 (operation failed: job 'migration out' failed: connection reset): its post-copy phase failed "
            + "and its memory is split between node1 (paused (post-copy failed)) and node2 (paused (post-copy failed)), so both copies are left for the operator.",
            _host.Sentence);
        Assert.DoesNotContain("destroy", _host.Virsh.Verbs);
        Assert.DoesNotContain("resume", _host.Virsh.Verbs);
    }

    [Fact]
    public async Task Source_and_destination_being_the_same_host_is_refused_before_any_virsh_call()
    {
        var code = await _host.RunAsync("migrate", "one-7", "node1", "NODE1", "7", "node1");

        Assert.Equal(1, code);
        Assert.StartsWith("Source and destination of one-7 are both node1", _host.Sentence);
        Assert.Empty(_host.Virsh.Verbs);
    }

    [Fact]
    public async Task A_shut_off_domain_is_not_live_migrated()
    {
        _host.Virsh.On("dominfo", stdout: $"Name:           one-7\nUUID:           {Uuid}\nState:          shut off\nPersistent:     yes\n");

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Domain one-7 is shut off on node1: only a running domain can be live-migrated.", _host.Sentence);
        Assert.Equal(["dominfo"], _host.Virsh.Verbs);
    }

    [Fact]
    public async Task Run_again_after_libvirt_moved_the_vm_and_onekvm_was_killed_it_succeeds_and_touches_nothing()
    {
        _host.Virsh.On("dominfo", exit: 1, stderr: NotFound).On("domstate", stdout: "running (migrated)\n", call: 1);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(0, code);
        Assert.Equal(["dominfo", "domstate"], _host.Virsh.Verbs);
        Assert.Equal("", _host.Host.Sentences);
    }

    [Fact]
    public async Task Run_again_after_onekvm_was_killed_while_the_vm_waited_paused_on_the_destination_it_resumes_it_there()
    {
        // virsh migrate --suspend (MIGRATE_OPTIONS on a shared datastore) left it paused there, and onekvm died before its resume
        _host.Virsh.On("dominfo", exit: 1, stderr: NotFound).On("domstate", stdout: "paused (migration)\n", call: 1)
            .On("dumpxml", stdout: $"<domain type='kvm'><name>one-7</name><uuid>{Uuid}</uuid></domain>\n")
            .On("domstate", stdout: "paused\n", call: 2);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(0, code);
        Assert.Equal(["dominfo", "domstate", "dumpxml", "domstate", "resume"], _host.Virsh.Verbs);
        Assert.Contains(_host.Host.LogLines, l => l.StartsWith("WARN: ", StringComparison.Ordinal)
            && l.Contains("one-7 is gone from node1 and paused on node2: an earlier migration was cut off", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_vm_on_neither_host_is_still_refused_before_anything_changes()
    {
        _host.Virsh.On("dominfo", exit: 1, stderr: NotFound);

        var code = await _host.RunAsync("migrate", "one-7", "node2", "node1", "7", "node1");

        Assert.Equal(1, code);
        Assert.Equal("Domain one-7 does not exist on node1; nothing was migrated.", _host.Sentence);
        Assert.Equal(["dominfo", "domstate"], _host.Virsh.Verbs);
    }

    public void Dispose() => _host.Dispose();
}
