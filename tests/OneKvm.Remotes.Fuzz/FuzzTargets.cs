using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using OneKvm.Remotes.Checkpoints;
using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.Libvirt;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Live;
using OneKvm.Remotes.Live.Devices;
using OneKvm.Remotes.Migration;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.RootHelpers;
using OneKvm.Remotes.Snapshots;
using OneKvm.Remotes.Virsh;
using OneKvm.Remotes.Xml;

namespace OneKvm.Remotes.Fuzz;

/// <summary>
/// One input onekvm takes from outside, fed to the code that reads it the way the action reads it.
/// <paramref name="Documented"/> are the exception types, besides <see cref="Errors.OneKvmException"/>,
/// that its callers catch and turn into a sentence or a warning (e.g. SQLite's failures for the
/// metric history); any other exception is a defect.
/// </summary>
internal sealed record FuzzTarget(string Name, string Input, Action<byte[]> Run, params Type[] Documented);

/// <summary>The fuzz targets, by name: tests/fuzz/run.sh runs them under AFL++, FuzzCorpusSpecs over the corpus.</summary>
internal static class FuzzTargets
{
    private const string Domain = "one-7";
    private const string Uuid = "0b4f9c6e-3c3a-4a43-9c63-0d1b1f2c3e4f";

    /// <summary>What DriverHost reads stdin with: invalid UTF-8 is refused, never replaced.</summary>
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    public static readonly IReadOnlyList<FuzzTarget> All =
    [
        new("kvmrc", "kvmrc, read natively (Kvmrc/KvmrcParser, KvmSettings)", Kvmrc),
        new("action-data", "the action data document on stdin (Xml/ActionData, SafeXml)", ActionDataDocument),
        new("deploy-xml", "the domain XML deploy reads on stdin (Lifecycle/DeploymentXml)", DeployXml),
        new("domstats", "virsh domstats output (Monitoring/DomStatsOutput)", DomStats),
        new("libvirt-reply", "libvirt's reply to CONNECT_GET_ALL_DOMAIN_STATS on its socket (Libvirt/RemoteMessage, DomainStatsReply)",
            LibvirtReply, typeof(RemoteProtocolException), typeof(RemoteCallException)),
        new("dumpxml", "virsh dumpxml output (Live/LiveDomain, Migration/StorageCopyPlan, Checkpoints/RestoreMarker)", DumpXml),
        new("domstate", "virsh domstate [--reason] and dominfo output (Migration/MigrationOutcome, Virsh/DomainInfo)", DomState),
        new("snapshot-xml", "virsh snapshot-dumpxml output and snap-N.xml (Snapshots/SnapshotMetadata)", SnapshotXml),
        new("save-image-xml", "virsh save-image-dumpxml output (Checkpoints/DatastorePathRewriter)", SaveImageXml),
        new("qemu-img-info", "qemu-img info --output=json (Migration/ImageInfo)", QemuImgInfo, typeof(System.Text.Json.JsonException)),
        new("vm-state", "the state probe's file, read through StateFile (Monitoring/VmStateStore)", VmStateFile),
        new("cpu-samples", "the CPU probe's sample file (Monitoring/CpuSampleStore)", CpuSamples),
        new("io-samples", "the I/O probe's sample file (Monitoring/IoSampleStore)", IoSamples),
        new("metric-history", "a VM's metric history database (Monitoring/MetricHistory)", History,
            typeof(SqliteFailure), typeof(IOException), typeof(UnauthorizedAccessException)),
        new("probe-yaml", "a probe configuration file, any key (Monitoring/ProbeConfigFile, ProbeYaml)", ProbeYamlFile),
        new("forecast-settings", "forecast.conf (Monitoring/ForecastSettings)", Forecast),
        new("probe-db-settings", "probe_db.conf (Monitoring/ProbeDbSettings)", ProbeDb),
        new("guest-agent-config", "guestagent.conf (Guest/GuestAgentConfig)", GuestAgentConfiguration),
        new("argv", "every action's arguments, NUL-separated, the first byte picks the action (Dispatch/ActionCommandLine)", Argv),
        new("helper-argv", "the root helpers' path and UUID arguments (RootHelpers/HelperArguments)", HelperArgv),
    ];

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>virsh's output and the files: decoded as CliWrap and RegularFile decode them (invalid bytes replaced).</summary>
    private static string Lenient(byte[] input) => Encoding.UTF8.GetString(input);

    /// <summary>Stdin: null when DriverHost's strict reader refuses the bytes (that refusal is InputSpecs').</summary>
    private static string? Stdin(byte[] input)
    {
        try
        {
            return Strict.GetString(input);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static void Kvmrc(byte[] input)
    {
        var document = KvmrcParser.Parse("kvmrc", Lenient(input), _ => null);
        var settings = new KvmSettings(document, _ => null, _ => { });
        foreach (var parameter in KvmrcParameters.All)
        {
            try
            {
                settings.Validate(parameter);
            }
            catch (KvmrcException)
            {
                // refused by the actions that read it: the documented outcome
            }
        }
        _ = settings.ExportedVariables.Count();
        _ = document.Warnings.Select(w => w.ToString()).Count();
    }

    private static void ActionDataDocument(byte[] input)
    {
        if (Stdin(input) is not { } text)
        {
            return;
        }
        var data = ActionData.Parse(text);
        _ = (data.VmId, data.SystemTmMad);
        _ = (data.Attaching("DISK"), data.Attaching("NIC"), data.Marked("DISK", "RESIZE"), data.Marked("NIC", "ACTIVE"));
        _ = MigrationStorage.From(data, data.VmId);
        _ = VmMigrationFeatures.From(data);
    }

    private static void DeployXml(byte[] input)
    {
        if (Stdin(input) is not { } text)
        {
            return;
        }
        var domain = DeployAction.ParseDomain(text);
        DeploymentXml.ResolveDiskLinks(domain);
        _ = domain.ToString();
    }

    private static void DomStats(byte[] input)
    {
        foreach (var stats in DomStatsOutput.Parse(Lenient(input)))
        {
            _ = VmState.OpenNebulaState(stats.State, stats.Reason);
            _ = VmState.LegacyLetter(stats.State, stats.Reason);
            _ = VmState.CountersApply(stats.State, stats.Reason);
        }
    }

    /// <summary>A whole reply message as read from the socket (length word first), into the records the probes use.</summary>
    private static void LibvirtReply(byte[] input)
    {
        var span = input.AsSpan();
        if (span.Length < 4 || RemoteMessage.Length(span[..4]) != span.Length)
        {
            throw new RemoteProtocolException("the daemon closed the connection before its reply ended");
        }
        var body = span[4..];
        // the serial the client expects is its own; take the input's so the fuzzer reaches the payload
        var serial = body.Length >= 20 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(body[16..]) : 0;
        var payload = RemoteMessage.ReplyPayload(body, RemoteClient.ProcConnectGetAllDomainStats, serial);
        foreach (var stats in DomStatsOutput.FromRecords(DomainStatsReply.Parse(payload)))
        {
            _ = VmState.OpenNebulaState(stats.State, stats.Reason);
            _ = VmState.CountersApply(stats.State, stats.Reason);
        }
    }

    private static void DumpXml(byte[] input)
    {
        var live = LiveDomain.Parse(Domain, Lenient(input));
        _ = (live.IoThreads, live.FirstNumaCell, live.Disk("vda"), live.Interface("02:00:c0:a8:7a:02"), live.HasAlias("ua-disk1"));
        _ = live.UsesGuestPciAddress(new PciAddress(0, 0, 3, 0));
        _ = DomainReadings.IsActive(live.Root);
        _ = RestoreMarker.RunsFrom(live.Root, "/nonexistent/onekvm-fuzz/checkpoint");
        _ = StorageCopyPlan.FilesOf(live.Root).Count();
        _ = DomainDisk.From(live.Root).Select(d => d.IsReadOnly).Count();
    }

    private static void DomState(byte[] input)
    {
        var text = Lenient(input);
        var observed = ObservedState.Parse(text);
        _ = observed.ToString();
        _ = MigrationOutcome.Decide(observed, observed, wasRunning: true);
        _ = MigrationOutcome.Decide(observed, null, wasRunning: false);
        _ = DomainInfo.Parse(text)?.IsActive;
    }

    private static void SnapshotXml(byte[] input)
    {
        var snapshot = SafeXml.Parse(Lenient(input), $"the XML of a snapshot of domain {Domain}").Root!;
        _ = SnapshotMetadata.WithDomainUuid(snapshot, Uuid).ToString();
    }

    private static void SaveImageXml(byte[] input)
    {
        var saved = SafeXml.Parse(Lenient(input), "the domain XML saved in /var/lib/one/datastores/0/7/checkpoint").Root!;
        var rewriter = new DatastorePathRewriter(CheckpointLocation.Of("/var/lib/one//datastores/100/7/checkpoint"), "7");
        rewriter.Rewrite(saved);
        _ = saved.Element("name")?.Value.Trim() == Domain || saved.Element("uuid")?.Value.Trim() == Uuid;
        _ = saved.ToString();
    }

    private static void QemuImgInfo(byte[] input) => _ = ImageInfo.Parse(Lenient(input));

    private static void VmStateFile(byte[] input)
    {
        var path = Scratch.File("vm-state");
        File.WriteAllBytes(path, input);
        var store = VmStateStore.Parse(StateFile.Read(path));
        _ = VmStateStore.Parse(store.Render()).Entries.Count;
    }

    private static void CpuSamples(byte[] input)
    {
        var store = CpuSampleStore.Parse(Lenient(input), "boot-id");
        store.Prune(1_765_000_000);
        _ = CpuSampleStore.Parse(store.Render(), "boot-id").Samples.Count;
    }

    private static void IoSamples(byte[] input)
    {
        var store = IoSampleStore.Parse(Lenient(input), "boot-id");
        _ = IoSampleStore.Parse(store.Render(), "boot-id").Samples.Count;
    }

    private static void History(byte[] input)
    {
        var directory = Scratch.Directory("history");
        var history = new MetricHistory(directory, retentionWeeks: 1);
        var path = history.PathOf(7);
        foreach (var leftover in System.IO.Directory.EnumerateFiles(directory))
        {
            File.Delete(leftover);
        }
        File.WriteAllBytes(path, input);
        _ = history.Record(7, 1_765_000_000, [("CPU", 12.5), ("MEMORY", 1024)], ["CPU", "MEMORY"], 1_764_000_000);
    }

    /// <summary>The probes read their configuration through ProbeConfigFile.Load: a file that does not parse is the defaults and a WARN.</summary>
    private static ProbeYaml ProbeConfiguration(byte[] input, string name)
    {
        var path = Scratch.File(name);
        File.WriteAllBytes(path, input);
        return ProbeConfigFile.Load(path, NullLogger.Instance);
    }

    private static void ProbeYamlFile(byte[] input)
    {
        var yaml = ProbeConfiguration(input, "probe.conf");
        foreach (var path in new[] { "virtualmachine", "virtualmachine.db_retention", "virtualmachine.forecast.period", ":times_missing", "enabled" })
        {
            _ = (yaml.Text(path), yaml.Has(path));
            try
            {
                _ = yaml.Flag(path);
                _ = yaml.Number(path);
            }
            catch (FormatException)
            {
                // "not a number", "not true or false": ForecastSettings and ProbeDbSettings take the default with a WARN
            }
        }
    }

    private static void Forecast(byte[] input) =>
        _ = ForecastSettings.From(ProbeConfiguration(input, "forecast.conf"), "forecast.conf", NullLogger.Instance).Near.Enabled;

    private static void ProbeDb(byte[] input) =>
        _ = ProbeDbSettings.From(ProbeConfiguration(input, "probe_db.conf"), "probe_db.conf", NullLogger.Instance).ObsoleteSeconds;

    private static void GuestAgentConfiguration(byte[] input)
    {
        var path = Scratch.File("guestagent.conf");
        File.WriteAllBytes(path, input);
        if (GuestAgentConfig.Load(path).Config is not { } config)
        {
            return;
        }
        var os = new GuestOs("debian", "linux", "12", "x86_64");
        _ = config.Commands.Count(c => c.Matches(os) || c.Matches(GuestOs.Unknown));
    }

    /// <summary>NUL separates the arguments (no argv can hold one); the first byte picks the action.</summary>
    private static void Argv(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var entry = ActionTable.All[input[0] % ActionTable.All.Count];
        var args = Encoding.UTF8.GetString(input, 1, input.Length - 1).Split('\0');
        if (ActionCommandLine.IsHelpRequest(args))
        {
            ActionCommandLine.WriteHelp(entry, TextWriter.Null);
            return;
        }
        var parsed = ActionCommandLine.Parse(entry, args);
        _ = parsed.ToString();
    }

    private static void HelperArgv(byte[] input)
    {
        // an argument is a C string: it ends at the first NUL (the first run fed NULs and "found" only that)
        var end = Array.IndexOf(input, (byte)0);
        var value = Encoding.UTF8.GetString(input, 0, end < 0 ? input.Length : end);
        Try(() => HelperArguments.Uuid("fuzz", value));
        Try(() => HelperArguments.VmDirectory("fuzz", value));
        Try(() => HelperArguments.VmDirectoryOfFile("fuzz", value, "vm.xml"));
        Try(() => HelperArguments.SharedDirectory("fuzz", value));

        static void Try(Func<string> read)
        {
            try
            {
                _ = read();
            }
            catch (RefusedException)
            {
                // the helper's one sentence
            }
        }
    }

    /// <summary>Removes the files the targets wrote (FuzzCorpusSpecs, after the corpus).</summary>
    public static void DeleteScratch() => Scratch.Delete();

    /// <summary>A directory of this process for the targets that read files.</summary>
    private static class Scratch
    {
        private static readonly string Root = Path.Combine(Path.GetTempPath(),
            "onekvm-fuzz-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

        public static string Directory(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

        public static string File(string name) => Path.Combine(Directory("files"), name);

        public static void Delete()
        {
            if (System.IO.Directory.Exists(Root))
            {
                System.IO.Directory.Delete(Root, recursive: true);
            }
        }
    }
}
