using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.TestDocuments;
using Xunit;

namespace OneKvm.Remotes.Specs.Kvmrc;

public sealed class KvmSettingsSpecs
{
    private static KvmSettings Settings(string kvmrc, Dictionary<string, string>? environment = null, List<SettingNote>? notes = null)
    {
        Func<string, string?> env = n => environment is not null && environment.TryGetValue(n, out var v) ? v : null;
        return new KvmSettings(KvmrcParser.Parse("/remotes/etc/vmm/kvm/kvmrc", kvmrc, env), env, notes is null ? null : notes.Add);
    }

    [Fact]
    public void Without_a_kvmrc_every_setting_has_upstreams_default()
    {
        var s = new KvmSettings(KvmrcParser.Load("/nonexistent/kvmrc", _ => null), _ => null);

        Assert.Equal("qemu:///system", s.LibvirtUri);
        Assert.Equal("qemu+ssh", s.QemuProtocol);
        Assert.Equal(TimeSpan.FromSeconds(120), s.ShutdownTimeout);
        Assert.Equal(3, s.VirshAttempts);
        Assert.Equal(TimeSpan.FromSeconds(60), s.VirshTimeout);
        Assert.False(s.SyncTime);
        Assert.False(s.ForceDestroy);
        Assert.False(s.CancelNoAcpi);
        Assert.False(s.CleanupMemoryOnStart);
        Assert.False(s.CleanupMemoryOnStop);
        Assert.Empty(s.MigrateOptions);
        Assert.Equal("http://opennebula.org/xmlns/libvirt/1.0", s.LibvirtMetadataUri);
        Assert.Equal("one", s.LibvirtMetadataKey);
        Assert.Null(s.OvmfNvram);
        Assert.Null(s.DefaultAttachCache);
        Assert.Null(s.DefaultAttachNicModel);
        Assert.Null(s.DefaultAttachIoTune("TOTAL_BYTES_SEC"));
    }

    [Fact]
    public void Every_setting_reads_its_kvmrc_value_with_its_type()
    {
        var s = Settings("""
            LIBVIRT_URI=qemu+tcp://localhost/system
            QEMU_PROTOCOL=qemu+tcp
            SHUTDOWN_TIMEOUT=30
            VIRSH_RETRIES=5
            VIRSH_TIMEOUT=10
            SYNC_TIME=yes
            FORCE_DESTROY=yes
            CANCEL_NO_ACPI=yes
            MIGRATE_OPTIONS="--unsafe  --compressed"
            CLEANUP_MEMORY_ON_START=yes
            CLEANUP_MEMORY_ON_STOP=yes
            LIBVIRT_MD_URI=http://example.org/md
            LIBVIRT_MD_KEY=ex
            OVMF_NVRAM=/usr/share/OVMF/OVMF_VARS.fd
            VIRTIOFSD_BINARY_PATH="/a /b"
            DEFAULT_ATTACH_CACHE=writeback
            DEFAULT_ATTACH_DISCARD=unmap
            DEFAULT_ATTACH_IO=native
            DEFAULT_ATTACH_VIRTIO_BLK_QUEUES=auto
            DEFAULT_ATTACH_VIRTIO_BLK_IOTHREAD=2
            DEFAULT_ATTACH_NIC_MODEL=e1000
            DEFAULT_ATTACH_NIC_FILTER=clean-traffic
            DEFAULT_ATTACH_READ_IOPS_SEC_MAX=5000
            """);

        Assert.Equal("qemu+tcp://localhost/system", s.LibvirtUri);
        Assert.Equal("qemu+tcp", s.QemuProtocol);
        Assert.Equal(TimeSpan.FromSeconds(30), s.ShutdownTimeout);
        Assert.Equal(5, s.VirshAttempts);
        Assert.Equal(TimeSpan.FromSeconds(10), s.VirshTimeout);
        Assert.True(s.SyncTime);
        Assert.True(s.ForceDestroy);
        Assert.True(s.CancelNoAcpi);
        Assert.Equal(["--unsafe", "--compressed"], s.MigrateOptions);
        Assert.True(s.CleanupMemoryOnStart);
        Assert.True(s.CleanupMemoryOnStop);
        Assert.Equal("http://example.org/md", s.LibvirtMetadataUri);
        Assert.Equal("ex", s.LibvirtMetadataKey);
        Assert.Equal("/usr/share/OVMF/OVMF_VARS.fd", s.OvmfNvram);
        Assert.Equal(["/a", "/b"], s.VirtiofsdBinaryPaths);
        Assert.Equal("writeback", s.DefaultAttachCache);
        Assert.Equal("unmap", s.DefaultAttachDiscard);
        Assert.Equal("native", s.DefaultAttachIo);
        Assert.Equal("auto", s.DefaultAttachVirtioBlkQueues);
        Assert.Equal(2, s.DefaultAttachVirtioBlkIothread);
        Assert.Equal("e1000", s.DefaultAttachNicModel);
        Assert.Equal("clean-traffic", s.DefaultAttachNicFilter);
        Assert.Equal(5000, s.DefaultAttachIoTune("READ_IOPS_SEC_MAX"));
    }

    [Fact]
    public void Every_parameter_of_the_upstream_kvmrc_and_the_driver_guide_is_known()
    {
        var names = File.ReadAllLines(ReferenceDocuments.Path("kvmrc.upstream"))
            .Select(l => l.TrimStart('#', ' ').Replace("export ", ""))
            .Where(l => l.Contains('=') && KvmrcParser.IsName(l[..l.IndexOf('=')]))
            .Select(l => l[..l.IndexOf('=')])
            .Where(n => n != "LANG")
            .ToList();
        var guide = File.ReadAllText(ReferenceDocuments.Path("kvm-driver-guide.parameters.txt"));
        var fromGuide = System.Text.RegularExpressions.Regex.Matches(guide, @"^(DEFAULT_ATTACH_\w+|[A-Z_]+(?:TIMEOUT|RETRIES|URI|PROTOCOL|TIME|DESTROY|ACPI|OPTIONS|START|STOP)) ",
            System.Text.RegularExpressions.RegexOptions.Multiline).Select(m => m.Groups[1].Value);

        Assert.True(names.Count > 30);
        Assert.All(names.Concat(fromGuide), n => Assert.True(KvmrcParameters.IsKnown(n), $"{n} is not a known parameter"));
    }

    [Theory]
    [InlineData("SHUTDOWN_TIMEOUT=-5", "SHUTDOWN_TIMEOUT")]
    [InlineData("VIRSH_TIMEOUT=-1", "VIRSH_TIMEOUT")]
    [InlineData("DEFAULT_ATTACH_TOTAL_BYTES_SEC=10M", "DEFAULT_ATTACH_TOTAL_BYTES_SEC")]
    [InlineData("DEFAULT_ATTACH_VIRTIO_BLK_QUEUES=many", "DEFAULT_ATTACH_VIRTIO_BLK_QUEUES")]
    public void A_value_that_could_do_harm_is_a_clear_error_naming_the_parameter_and_its_line(string line, string parameter)
    {
        var s = Settings("# first\n" + line);
        var definition = KvmrcParameters.Get(parameter);

        var error = Assert.Throws<KvmrcException>(() => s.Validate(definition));

        Assert.StartsWith($"{parameter}=\"", error.Message);
        Assert.Contains("kvmrc:2", error.Message);
        Assert.Contains("expected", error.Message);
    }

    [Fact]
    public void A_bad_value_only_fails_the_settings_that_read_it()
    {
        var s = Settings("SHUTDOWN_TIMEOUT=-5\nLIBVIRT_URI=qemu:///session");

        Assert.Throws<KvmrcException>(() => s.ShutdownTimeout);
        Assert.Equal("qemu:///session", s.LibvirtUri);
        Assert.Equal(TimeSpan.FromSeconds(60), s.VirshTimeout);
    }

    [Fact]
    public void An_empty_assignment_means_unset_like_upstreams_empty_checks()
    {
        var s = Settings("SHUTDOWN_TIMEOUT=\nLIBVIRT_URI=\"\"");

        Assert.Equal(TimeSpan.FromSeconds(120), s.ShutdownTimeout);
        Assert.Equal("qemu:///system", s.LibvirtUri);
    }

    [Fact]
    public void Kvmrc_assignments_override_the_environment_as_upstreams_source_does()
    {
        var env = new Dictionary<string, string> { ["SHUTDOWN_TIMEOUT"] = "7", ["VIRSH_TIMEOUT"] = "9" };
        var s = Settings("SHUTDOWN_TIMEOUT=30", env);

        Assert.Equal(TimeSpan.FromSeconds(30), s.ShutdownTimeout);
        Assert.Equal(TimeSpan.FromSeconds(9), s.VirshTimeout);
        Assert.Equal("/remotes/etc/vmm/kvm/kvmrc:1", s.Get("SHUTDOWN_TIMEOUT").Where);
        Assert.Equal("environment", s.Get("VIRSH_TIMEOUT").Where);
        Assert.Equal("default", s.Get("VIRSH_RETRIES").Where);
    }

    [Fact]
    public void Exported_variables_reach_virsh_and_plain_assignments_do_not()
    {
        var s = Settings("export LIBVIRT_DEBUG=1\nexport LANG=C\nNOT_EXPORTED=x");

        var exported = s.ExportedVariables.ToDictionary(kv => kv.Key, kv => kv.Value);

        Assert.Equal("1", exported["LIBVIRT_DEBUG"]);
        Assert.False(exported.ContainsKey("NOT_EXPORTED"));
    }

    [Fact]
    public void Virsh_retries_of_zero_still_make_one_attempt()
    {
        Assert.Equal(1, Settings("VIRSH_RETRIES=0").VirshAttempts);
    }

    [Theory]
    [InlineData("FORCE_DESTROY", "true")]
    [InlineData("FORCE_DESTROY", "YES")]
    [InlineData("SYNC_TIME", "YES")]
    [InlineData("CANCEL_NO_ACPI", "1")]
    [InlineData("CLEANUP_MEMORY_ON_START", "on")]
    [InlineData("CLEANUP_MEMORY_ON_STOP", "Yes")]
    public void A_yes_no_value_other_than_yes_is_no_as_upstreams_bash_compares_and_one_note_says_so(string parameter, string value)
    {
        var notes = new List<SettingNote>();
        var s = Settings($"# first\n{parameter}={value}\n", notes: notes);

        var flags = new[] { s.ForceDestroy, s.SyncTime, s.CancelNoAcpi, s.CleanupMemoryOnStart, s.CleanupMemoryOnStop };

        Assert.All(flags, Assert.False);
        var note = Assert.Single(notes);
        Assert.Equal($"kvmrc: {parameter}=\"{value}\" (/remotes/etc/vmm/kvm/kvmrc:2) is not \"yes\"; " +
            "taken as no, as upstream's scripts compare with \"yes\" exactly", note.ToString());
    }

    [Fact]
    public void Yes_and_no_themselves_need_no_note()
    {
        var notes = new List<SettingNote>();
        var s = Settings("FORCE_DESTROY=yes\nSYNC_TIME=no\n", notes: notes);

        Assert.True(s.ForceDestroy);
        Assert.False(s.SyncTime);
        Assert.Empty(notes);
    }

    /// <summary>Upstream's Ruby migrate upcases SYNC_TIME; its bash restore and migrate_local compare with "yes".</summary>
    [Fact]
    public void Sync_time_YES_is_yes_after_a_migrate_and_no_after_a_restore()
    {
        var s = Settings("SYNC_TIME=YES");

        Assert.True(s.SyncTimeAfterMigrate);
        Assert.False(s.SyncTime);
    }

    [Theory]
    [InlineData("SHUTDOWN_TIMEOUT=abc", 120, "is not a whole number of seconds", "120 s, upstream's default")]
    [InlineData("SHUTDOWN_TIMEOUT=1.5", 120, "is not a whole number of seconds", "120 s, upstream's default")]
    [InlineData("SHUTDOWN_TIMEOUT=99999999999", KvmSettings.MaxSeconds, "is longer than a timer can wait", "2147483 s (24 days)")]
    public void A_shutdown_timeout_that_is_not_a_number_is_upstreams_default_with_a_note(string line, int seconds, string problem, string takenAs)
    {
        var notes = new List<SettingNote>();
        var s = Settings(line, notes: notes);

        Assert.Equal(TimeSpan.FromSeconds(seconds), s.ShutdownTimeout);
        var note = Assert.Single(notes);
        Assert.Equal(problem, note.Problem);
        Assert.Equal(takenAs, note.TakenAs);
        Assert.EndsWith(":1)", note.Value.ToString());
    }

    [Theory]
    [InlineData("VIRSH_TIMEOUT=soon", 60)]
    [InlineData("VIRSH_TIMEOUT=0", 60)]
    [InlineData("VIRSH_TIMEOUT=99999999", KvmSettings.MaxSeconds)]
    public void A_virsh_timeout_that_cannot_be_one_is_taken_as_one_a_timer_can_wait(string line, int seconds)
    {
        var notes = new List<SettingNote>();
        var s = Settings(line, notes: notes);

        Assert.Equal(TimeSpan.FromSeconds(seconds), s.VirshTimeout);
        Assert.Single(notes);
        // what crashed the action before: a timer refuses more than int.MaxValue ms
        using var timer = new CancellationTokenSource();
        timer.CancelAfter(s.VirshTimeout);
    }

    /// <summary>libvirt 9 defines a disk with queues='0' (checked with virsh define), so upstream's attach does not fail on it.</summary>
    [Fact]
    public void Zero_virtio_blk_queues_go_to_libvirt_as_upstream_writes_them()
    {
        Assert.Equal("0", Settings("DEFAULT_ATTACH_VIRTIO_BLK_QUEUES=0").DefaultAttachVirtioBlkQueues);
    }

    [Fact]
    public void Virsh_retries_that_are_not_a_number_are_upstreams_default_with_a_note()
    {
        var notes = new List<SettingNote>();

        Assert.Equal(3, Settings("VIRSH_RETRIES=many", notes: notes).VirshAttempts);
        Assert.Equal("3, upstream's default", Assert.Single(notes).TakenAs);
    }

    [Theory]
    [InlineData("DEFAULT_ATTACH_CACHE=fast")]
    [InlineData("DEFAULT_ATTACH_DISCARD=on")]
    [InlineData("DEFAULT_ATTACH_IO=aio")]
    public void A_disk_mode_onekvm_does_not_know_goes_to_libvirt_as_upstream_writes_it(string line)
    {
        var notes = new List<SettingNote>();
        var s = Settings(line, notes: notes);
        var value = line[(line.IndexOf('=') + 1)..];

        Assert.Contains(value, new[] { s.DefaultAttachCache, s.DefaultAttachDiscard, s.DefaultAttachIo });
        Assert.Equal("it is, for libvirt to accept or refuse, as upstream does", Assert.Single(notes).TakenAs);
    }

    [Fact]
    public void A_note_is_given_once_per_parameter_however_often_it_is_read()
    {
        var notes = new List<SettingNote>();
        var s = Settings("FORCE_DESTROY=true\nSHUTDOWN_TIMEOUT=abc", notes: notes);

        _ = (s.ForceDestroy, s.ForceDestroy, s.ShutdownTimeout, s.ShutdownTimeout);
        foreach (var parameter in KvmrcParameters.All)
        {
            s.Validate(parameter);
        }

        Assert.Equal(["FORCE_DESTROY", "SHUTDOWN_TIMEOUT"], notes.Select(n => n.Value.Name));
    }
}
