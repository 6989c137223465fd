namespace OneKvm.Remotes.Doctor;

/// <summary>
/// <c>onekvm doctor [--json] [--datastore DIR]...</c>: checks this host the way the driver
/// will use it and prints one line per finding (OK / WARN / FAIL, with what to do).
/// <c>--hosts H...</c> runs it on each host over ssh instead (<see cref="HostsCheck"/>).
/// Exit status: 0 all OK, 1 some WARN, 2 some FAIL.
/// </summary>
internal static class DoctorCommand
{
    public const string Name = "doctor";

    public static readonly ToolCommand Row = new([Name], _ => true, call => RunAsync(call.Location, [.. call.Args.Skip(1)], call.Actions, call.Host, call.CancellationToken))
    {
        Help = ("onekvm doctor [--json] [--datastore DIR]...", "check this host: tree, kvmrc, libvirt, sudo, space, probes"),
        Manual =
        [
            ("doctor [--json] [--datastore DIR]...",
                "Checks this host as the driver will use it and prints one line per finding, OK, WARN or FAIL, with what to do after \"->\": "
                + "the remotes tree (the binary, every entry present, the entry program and starting this tree's binary, no upstream script in place of or beside an entry); "
                + "kvmrc (where it was found, every line skipped, every invalid value); "
                + "libvirt (virsh in PATH, LIBVIRT_URI answering as this user, the libvirtd and QEMU versions, /dev/kvm, qemu-img); "
                + "sudo (each rule onekvm relies on, asked with sudo -n -l, never run); "
                + "storage (the probes' state directory writable; free space in the system datastores of the OpenNebula domains present, from their system_datastore metadata, "
                + "else in each directory of /var/lib/one/datastores, or in each DIR given: FAIL under 1 GiB, WARN under 10 %); "
                + "probes (vm_state and vm_monitor answering within their periods, 5 and 30 s, against the OpenNebula domains present). "
                + "--json prints the same as one JSON document. Nothing is changed on the host."),
            ("doctor [--json] --hosts HOST... [--remote-dir DIR]",
                "On the front-end: runs onekvm doctor --json on each HOST over ssh, as the user running it (oneadmin), from the tree onehost sync put in DIR "
                + $"(default {HostsCheck.DefaultRemoteDirectory}), prints each host's findings under its name, a FAIL for a host where it could not run, "
                + "and whether every host runs the front-end's version of onekvm."),
        ],
    };

    public static async Task<int> RunAsync(Func<RemotesLocation> locate, IReadOnlyList<string> args, IReadOnlyList<ActionEntry> actions, DriverHost host,
        CancellationToken cancellationToken)
    {
        var json = false;
        var datastores = new List<string>();
        var hosts = new List<string>();
        var remoteDirectory = HostsCheck.DefaultRemoteDirectory;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--datastore" when i + 1 < args.Count:
                    datastores.Add(Path.GetFullPath(args[++i]));
                    break;
                case "--remote-dir" when i + 1 < args.Count:
                    remoteDirectory = args[++i];
                    break;
                case "--hosts":
                    while (i + 1 < args.Count && !args[i + 1].StartsWith('-'))
                    {
                        hosts.Add(args[++i]);
                    }
                    break;
                default:
                    host.Stderr.WriteLine($"onekvm doctor: unknown argument '{args[i]}'; usage: onekvm doctor [--json] [--datastore DIR]... | onekvm doctor [--json] --hosts HOST... [--remote-dir DIR]");
                    return ExitCodes.Usage;
            }
        }
        if (hosts.Count > 0)
        {
            return Report(host, json, await HostsCheck.RunAsync(hosts, remoteDirectory, cancellationToken).ConfigureAwait(false));
        }
        var location = locate();
        var notes = new List<SettingNote>();
        var settings = new KvmSettings(KvmrcParser.Load(location.KvmrcPath, host.Environment), host.Environment, notes.Add);
        var virsh = host.Virsh.WithUri(settings.LibvirtUri).WithEnvironment(settings.ExportedVariables);
        var findings = new List<Finding>();
        findings.AddRange(await TreeChecks.RunAsync(location.Root, actions, cancellationToken).ConfigureAwait(false));
        findings.AddRange(KvmrcChecks.Run(location, settings, notes));
        findings.AddRange(await LibvirtChecks.RunAsync(settings, virsh, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await SudoChecks.RunAsync(location.Root, settings, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await StorageChecks.RunAsync(host.Environment, datastores, settings, virsh, cancellationToken).ConfigureAwait(false));
        findings.AddRange(await ProbeChecks.RunAsync(location.Root, actions, virsh, cancellationToken).ConfigureAwait(false));
        return Report(host, json, findings);
    }

    private static int Report(DriverHost host, bool json, IReadOnlyList<Finding> findings)
    {
        var worst = findings.Count == 0 ? Verdict.Ok : findings.Max(f => f.Verdict);
        if (json)
        {
            WriteJson(host.Stdout, findings, worst);
        }
        else
        {
            foreach (var finding in findings)
            {
                host.Stdout.WriteLine(finding.ToString());
            }
        }
        return (int)worst;
    }

    private static void WriteJson(TextWriter output, IReadOnlyList<Finding> findings, Verdict worst)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("host", Environment.MachineName);
            writer.WriteString("version", ToolCommand.Version);
            writer.WriteString("status", new Finding("", worst, "").Label);
            writer.WriteStartArray("checks");
            foreach (var f in findings)
            {
                writer.WriteStartObject();
                writer.WriteString("area", f.Area);
                writer.WriteString("status", f.Label);
                writer.WriteString("message", f.Message);
                if (f.Remedy is not null)
                {
                    writer.WriteString("remedy", f.Remedy);
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
