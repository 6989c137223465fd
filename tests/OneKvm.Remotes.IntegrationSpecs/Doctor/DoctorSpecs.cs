using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Doctor;

/// <summary>
/// onekvm doctor on this machine, each failure made real: an entry replaced by a script, a
/// kvmrc line it cannot read, a private libvirtd stopped under LIBVIRT_URI, a sudo rule
/// removed for the user that relies on it. Each spec runs the doctor before and after the
/// failure, so that the line it looks for is caused by that failure.
/// </summary>
public sealed class DoctorSpecs : IDisposable
{
    private readonly string _tree = TestPaths.NewScratchDirectory("doctor-tree");

    public DoctorSpecs()
    {
        var copy = ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes + "/.", _tree]).GetAwaiter().GetResult();
        Assert.True(copy.ExitCode == 0, copy.ToString());
    }

    public void Dispose() => Directory.Delete(_tree, recursive: true);

    private string Binary => Path.Combine(_tree, "vmm", "kvm", "onekvm");

    private string Kvmrc => Path.Combine(_tree, "etc", "vmm", "kvm", "kvmrc");

    private Task<ProcessResult> DoctorAsync(params string[] args) =>
        Driver.Staged.RunPathAsync(Binary, null, ["doctor", .. args]);

    private static string[] Lines(ProcessResult result, string start) =>
        [.. result.Stdout.Split('\n').Where(l => l.StartsWith(start, StringComparison.Ordinal))];

    [Fact]
    public async Task An_entry_replaced_by_a_script_is_a_fail_that_names_it_and_exit_status_2()
    {
        var before = await DoctorAsync();
        Assert.Empty(Lines(before, "FAIL tree:"));
        Assert.Single(Lines(before, "OK   tree: all "));

        await File.WriteAllTextAsync(Path.Combine(_tree, "vmm", "kvm", "deploy"), "#!/bin/bash\n# upstream's deploy\n");
        var after = await DoctorAsync();

        var fail = Assert.Single(Lines(after, "FAIL tree:"));
        Assert.Contains("vmm/kvm/deploy is a script", fail);
        Assert.Contains("->", fail);
        Assert.Equal(2, after.ExitCode);
    }

    [Fact]
    public async Task Called_through_a_link_like_usr_bin_onekvm_it_checks_the_tree_of_the_binary_the_link_leads_to()
    {
        var bin = Path.Combine(_tree, "..", Path.GetFileName(_tree) + "-bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "onekvm"), Binary);
        try
        {
            var doctor = await Driver.Staged.RunPathAsync(Path.Combine(bin, "onekvm"), null, "doctor");

            Assert.Single(Lines(doctor, $"OK   tree: binary {Binary},"));
            Assert.Single(Lines(doctor, $"OK   kvmrc: {Kvmrc} "));
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }

    [Fact]
    public async Task A_system_datastore_named_by_a_domain_here_with_too_little_free_space_is_a_fail()
    {
        // a 64 MiB tmpfs as the system datastore of an OpenNebula-named domain (its system_datastore metadata)
        var datastore = Path.Combine(TestPaths.NewScratchDirectory("doctor-ds"), "0");
        Directory.CreateDirectory(datastore);
        Assert.Equal(0, (await ProcessRun.RunAsync("mount", ["-t", "tmpfs", "-o", "size=64m", "onekvm-t-doctor", datastore])).ExitCode);
        try
        {
            var name = Monitoring.MonitoredDomains.OneName();
            var vmDirectory = Path.Combine(datastore, name["one-".Length..]);
            await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(name).WithElement(Lifecycle.LifecycleXml.OneMetadata(vmDirectory)));

            var doctor = await DoctorAsync();

            var fail = Assert.Single(Lines(doctor, $"FAIL storage: datastore {datastore}: "));
            Assert.Contains("MiB free", fail);
            Assert.Equal(2, doctor.ExitCode);
            // a datastore given on the command line is checked instead
            var given = await DoctorAsync("--datastore", _tree);
            Assert.Empty(Lines(given, $"FAIL storage: datastore {datastore}: "));
            Assert.Single(Lines(given, $"OK   storage: datastore {_tree}: "));
        }
        finally
        {
            await ProcessRun.RunAsync("umount", [datastore]);
        }
    }

    [Fact]
    public async Task A_kvmrc_line_onekvm_cannot_read_is_a_warn_with_its_file_and_line()
    {
        var before = await DoctorAsync();
        Assert.Empty(Lines(before, "WARN kvmrc:"));

        await File.AppendAllTextAsync(Kvmrc, "LIBVIRT_URI=qemu:///system\nMIGRATE_OPTIONS=$(cat /etc/onekvm-options)\n");
        var lineNumber = File.ReadAllLines(Kvmrc).Length;
        var after = await DoctorAsync();

        var warn = Assert.Single(Lines(after, "WARN kvmrc:"));
        Assert.Contains($"{Kvmrc}:{lineNumber}:", warn);
        Assert.True(after.ExitCode >= 1, after.ToString());
        Assert.Equal(before.ExitCode == 0 ? 1 : before.ExitCode, after.ExitCode);
    }

    [Fact]
    public async Task A_kvmrc_value_taken_other_than_it_reads_is_a_warn_saying_how_it_is_taken()
    {
        var before = await DoctorAsync();
        Assert.Empty(Lines(before, "WARN kvmrc: FORCE_DESTROY"));

        await File.AppendAllTextAsync(Kvmrc, "FORCE_DESTROY=true\n");
        var lineNumber = File.ReadAllLines(Kvmrc).Length;
        var after = await DoctorAsync();

        var warn = Assert.Single(Lines(after, "WARN kvmrc: FORCE_DESTROY"));
        Assert.Contains($"{Kvmrc}:{lineNumber}", warn);
        Assert.Contains("taken as no", warn);
        Assert.Equal(before.ExitCode == 0 ? 1 : before.ExitCode, after.ExitCode);
    }

    [Fact]
    public async Task A_metric_history_directory_that_cannot_be_made_is_a_warn_and_one_that_can_is_ok_and_the_doctor_writes_no_history()
    {
        // an OpenNebula domain runs, so the doctor's own vm_monitor run has a VM to keep history for
        await using var domain = await TestDomain.StartAsync(DomainXml.Diskless(Monitoring.MonitoredDomains.OneName()));
        var scratch = TestPaths.NewScratchDirectory("doctor-history");
        var blocker = Path.Combine(scratch, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "");
        var history = Path.Combine(blocker, "one_db");

        var blocked = await Driver.Staged.WithEnvironment("ONEKVM_METRICS_DIR", history).RunPathAsync(Binary, null, "doctor");
        var fine = await Driver.Staged.WithEnvironment("ONEKVM_METRICS_DIR", Path.Combine(scratch, "one_db")).RunPathAsync(Binary, null, "doctor");

        var warn = Assert.Single(Lines(blocked, $"WARN storage: metric history directory {history} cannot be created"));
        Assert.Contains($"{blocker} is a file", warn);
        Assert.Single(Lines(fine, $"OK   storage: metric history directory {Path.Combine(scratch, "one_db")} does not exist yet"));
        Assert.False(Directory.Exists(Path.Combine(scratch, "one_db")), "the doctor creates nothing");
        Assert.Empty(Lines(fine, "WARN storage: metric history"));
    }

    [Fact]
    public async Task A_libvirtd_stopped_under_LIBVIRT_URI_is_a_fail_and_the_json_says_so()
    {
        var peer = await PeerHypervisor.StartAsync("doctor");
        string uri;
        try
        {
            uri = peer.Uri;
            await File.AppendAllTextAsync(Kvmrc, $"LIBVIRT_URI={uri}\n");
            var running = await DoctorAsync();
            var ok = Assert.Single(Lines(running, $"OK   libvirt: LIBVIRT_URI {uri} answers"));
            Assert.Contains("libvirtd 9.", ok);
        }
        finally
        {
            await peer.DisposeAsync();
        }

        var stopped = await DoctorAsync("--json");

        Assert.Equal(2, stopped.ExitCode);
        using var json = System.Text.Json.JsonDocument.Parse(stopped.Stdout);
        Assert.Equal("FAIL", json.RootElement.GetProperty("status").GetString());
        var libvirt = json.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("area").GetString() == "libvirt" && c.GetProperty("message").GetString()!.Contains(uri, StringComparison.Ordinal));
        Assert.Equal("FAIL", libvirt.GetProperty("status").GetString());
        Assert.Contains("does not answer", libvirt.GetProperty("message").GetString());
        Assert.Contains("libvirtd", libvirt.GetProperty("remedy").GetString());
    }

    [Fact]
    public async Task A_sudo_rule_removed_for_the_memory_cleanup_kvmrc_asks_for_is_a_fail_checked_with_sudo_l()
    {
        var user = $"onekvm-t-{Environment.ProcessId % 100000}";
        var sudoers = $"/etc/sudoers.d/onekvm-t-{Environment.ProcessId}";
        Assert.Equal(0, (await ProcessRun.RunAsync("useradd", ["-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", user])).ExitCode);
        try
        {
            await File.AppendAllTextAsync(Kvmrc, "CLEANUP_MEMORY_ON_STOP=yes\n");
            await File.WriteAllTextAsync(sudoers, $"{user} ALL=(root) NOPASSWD: /usr/sbin/sysctl vm.drop_caches=3 vm.compact_memory=1\n");
            File.SetUnixFileMode(sudoers, UnixFileMode.UserRead | UnixFileMode.GroupRead);
            var allowed = await DoctorAsUserAsync(user);
            Assert.Single(Lines(allowed, $"OK   sudo: {user} may run sudo /usr/sbin/sysctl vm.drop_caches=3 vm.compact_memory=1"));

            File.Delete(sudoers);
            var removed = await DoctorAsUserAsync(user);

            var fail = Assert.Single(Lines(removed, $"FAIL sudo: {user} may not run sudo /usr/sbin/sysctl"));
            Assert.Contains("CLEANUP_MEMORY_ON_START/STOP=yes", fail);
            Assert.Equal(2, removed.ExitCode);
        }
        finally
        {
            File.Delete(sudoers);
            await ProcessRun.RunAsync("userdel", [user]);
        }
    }

    /// <summary>The doctor as another user (runuser, no password), with a state directory it may not write.</summary>
    private Task<ProcessResult> DoctorAsUserAsync(string user) =>
        ProcessRun.RunAsync("runuser", ["-u", user, "--", "env", "PATH=/usr/bin:/bin:/usr/sbin:/sbin", "ONEKVM_RUN_DIR=" + _tree, Binary, "doctor"],
            workingDirectory: "/");
}

/// <summary>
/// onekvm doctor --hosts over a real ssh: a private sshd on a loopback port (its own host key,
/// root's key authorised), reached through a host alias in an ssh_config drop-in removed after.
/// </summary>
public sealed class DoctorHostsSpecs : IAsyncLifetime
{
    private readonly string _directory = TestPaths.NewScratchDirectory("doctor-ssh");
    private readonly string _tree = TestPaths.NewScratchDirectory("doctor-hosts-tree");
    private readonly string _alias = $"onekvm-t-doctor-{Environment.ProcessId}";
    private readonly string _deadAlias = $"onekvm-t-nohost-{Environment.ProcessId}";
    private string ClientConfig => $"/etc/ssh/ssh_config.d/onekvm-t-doctor-{Environment.ProcessId}.conf";

    public async Task InitializeAsync()
    {
        Assert.Equal(0, (await ProcessRun.RunAsync("cp", ["-a", TestPaths.Remotes + "/.", _tree])).ExitCode);
        foreach (var key in new[] { "hostkey", "id" })
        {
            var keygen = await ProcessRun.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(_directory, key)]);
            Assert.True(keygen.ExitCode == 0, keygen.ToString());
        }
        File.Copy(Path.Combine(_directory, "id.pub"), Path.Combine(_directory, "authorized_keys"));
        var port = PeerHypervisor.FreeLoopbackPort();
        await File.WriteAllTextAsync(Path.Combine(_directory, "sshd_config"), $"""
            ListenAddress 127.0.0.1:{port}
            HostKey {_directory}/hostkey
            AuthorizedKeysFile {_directory}/authorized_keys
            PidFile {_directory}/sshd.pid
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            UsePAM no
            StrictModes no

            """);
        Directory.CreateDirectory("/run/sshd");
        var sshd = await ProcessRun.RunAsync("/usr/sbin/sshd", ["-f", Path.Combine(_directory, "sshd_config")]);
        Assert.True(sshd.ExitCode == 0, sshd.ToString());
        var closedPort = PeerHypervisor.FreeLoopbackPort();
        await File.WriteAllTextAsync(ClientConfig, $"""
            Host {_alias} {_deadAlias}
                HostName 127.0.0.1
                User root
                IdentityFile {_directory}/id
                IdentitiesOnly yes
                StrictHostKeyChecking no
                UserKnownHostsFile /dev/null
                LogLevel ERROR
            Host {_alias}
                Port {port}
            Host {_deadAlias}
                Port {closedPort}

            """);
    }

    public async Task DisposeAsync()
    {
        File.Delete(ClientConfig);
        var pidFile = Path.Combine(_directory, "sshd.pid");
        if (File.Exists(pidFile))
        {
            await ProcessRun.RunAsync("kill", [File.ReadAllText(pidFile).Trim()]);
        }
        Directory.Delete(_tree, recursive: true);
    }

    private static string[] Lines(ProcessResult result, string start) =>
        [.. result.Stdout.Split('\n').Where(l => l.StartsWith(start, StringComparison.Ordinal))];

    [Fact]
    public async Task Each_hosts_findings_come_back_under_its_name_and_a_host_it_cannot_reach_is_a_fail()
    {
        var binary = Path.Combine(_tree, "vmm", "kvm", "onekvm");

        var healthy = await ProcessRun.RunAsync(binary, ["doctor", "--hosts", _alias, _deadAlias, "--remote-dir", _tree]);

        Assert.Single(Lines(healthy, $"OK   {_alias} tree: all "));
        Assert.Single(Lines(healthy, $"OK   {_alias} libvirt: LIBVIRT_URI "));
        Assert.Single(Lines(healthy, $"FAIL {_deadAlias}: onekvm doctor did not run there"));
        Assert.Single(Lines(healthy, $"OK   hosts: onekvm "), l => l.Contains($"({_alias})", StringComparison.Ordinal));
        Assert.Equal(2, healthy.ExitCode);

        await File.WriteAllTextAsync(Path.Combine(_tree, "vmm", "kvm", "reboot"), "#!/bin/bash\n# upstream's reboot\n");
        var broken = await ProcessRun.RunAsync(binary, ["doctor", "--hosts", _alias, "--remote-dir", _tree]);

        Assert.Contains("vmm/kvm/reboot is a script", Assert.Single(Lines(broken, $"FAIL {_alias} tree:")));
        Assert.Equal(2, broken.ExitCode);
    }
}
