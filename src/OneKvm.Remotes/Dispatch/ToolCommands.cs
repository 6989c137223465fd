using System.Reflection;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Kvmrc;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Guest;

namespace OneKvm.Remotes.Dispatch;

/// <summary>What the binary does when called by its own name: onekvm --list, --version, kvmrc, layout, or an action.</summary>
internal static class ToolCommands
{
    public static async Task<int> RunAsync(string invokedAs, IReadOnlyList<string> args, DriverHost host,
        CancellationToken cancellationToken)
    {
        var first = args.Count > 0 ? args[0] : "--help";
        switch (first)
        {
            case "--list":
                WriteList(host.Stdout);
                return ExitCodes.Success;
            case "--version":
                host.Stdout.WriteLine($"{ActionTable.BinaryName} {Version}");
                return ExitCodes.Success;
            case "--help" or "-h" or "-?":
                WriteHelp(host.Stderr);
                return ExitCodes.Success;
            case "kvmrc":
                return KvmrcReport.Write(RemotesLocation.Resolve(invokedAs, ActionTable.Tool, host.ProcessPath, host.Environment), host);
            case Doctor.DoctorCommand.Name:
                return await Doctor.DoctorCommand.RunAsync(invokedAs, [.. args.Skip(1)], host, cancellationToken).ConfigureAwait(false);
            case Manual.ManPages.Command when args.Count == 2:
                Manual.ManPages.Write(args[1]);
                return ExitCodes.Success;
            case "layout" when args.Count == 2 && args[1] == "--manifest":
                RemotesLayout.WriteManifest(host.Stdout);
                return ExitCodes.Success;
            case "layout" when args.Count == 2:
                RemotesLayout.Write(args[1]);
                return ExitCodes.Success;
            case GuestClockSync.ToolCommand when args.Count is 2 or 3:
                return await SyncTimeAsync(invokedAs, args[1], args.Count == 3 ? args[2] : null, host, cancellationToken).ConfigureAwait(false);
        }
        var entry = ActionTable.Find(first);
        if (entry is null || entry.Kind == EntryKind.Tool)
        {
            host.Stderr.WriteLine($"onekvm: '{first}' is not an onekvm action or command; 'onekvm --list' shows them.");
            return ExitCodes.Usage;
        }
        return await Dispatcher.RunActionAsync(entry, invokedAs, ActionTable.Tool, [.. args.Skip(1)], host, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>The background clock sync of restore and migrate (SYNC_TIME=yes), which outlives the action.</summary>
    private static async Task<int> SyncTimeAsync(string invokedAs, string domain, string? uri, DriverHost host,
        CancellationToken cancellationToken)
    {
        var location = RemotesLocation.Resolve(invokedAs, ActionTable.Tool, host.ProcessPath, host.Environment);
        var context = new DriverContext(ActionTable.Tool, location, host);
        try
        {
            return await GuestClockSync.RunAsync(context, domain, uri, cancellationToken).ConfigureAwait(false)
                ? ExitCodes.Success
                : ExitCodes.Failure;
        }
        catch (OneKvmException e)
        {
            host.Stderr.WriteLine(e.Message);
            return ExitCodes.Safe(e.ExitCode);
        }
    }

    public static string Version =>
        typeof(ToolCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";

    private static void WriteList(TextWriter output)
    {
        foreach (var entry in ActionTable.All)
        {
            var status = entry.IsImplemented ? "ready" : "not-implemented";
            output.WriteLine($"{entry.Name,-16} {status,-15} {entry.RemotesPath,-40} {entry.Summary}");
        }
    }

    private static void WriteHelp(TextWriter output)
    {
        output.WriteLine($"""
            {ActionTable.BinaryName} {Version}: OpenNebula's KVM driver actions in one binary.

            It runs the action named by the file it is started as (vmm/kvm/deploy, ...),
            or the one named first: onekvm <action> args...

              onekvm --list        the action table: name, status, entry in the remotes tree
              onekvm --version     the version
              onekvm kvmrc         the effective kvmrc settings and where each comes from
              onekvm doctor [--json] [--datastore DIR]...   check this host: tree, kvmrc, libvirt, sudo, space, probes
              onekvm layout DIR    write the entries of the remotes tree under DIR (symlinks to vmm/kvm/onekvm-entry)
              onekvm layout --manifest   the files of the remotes tree the packages ship or move aside
              onekvm man DIR       write the man pages onekvm.1 and onekvm-kvmrc.5 under DIR
              onekvm sync-time DOMAIN [URI]   sync the guest clock through its agent (SYNC_TIME of restore, migrate)
              <action> --help      the arguments, stdin and answer of one action
            """);
    }
}
