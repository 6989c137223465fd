using OneKvm.Remotes.Snapshots;

namespace OneKvm.Remotes.Lifecycle;

/// <summary>
/// deploy: writes the domain XML from stdin to the deployment file, prepares what
/// the domain needs on this host (disk.N links resolved, UEFI variables), creates
/// the transient domain and answers its UUID. A deployment that fails after the
/// domain was created destroys it again, so oned never sees a half-deployed VM.
/// </summary>
internal sealed class DeployAction : IDriverAction
{
    private static readonly ActionParameter DeploymentFile = new("deployment_file", "where the domain XML is written on this host");
    public static readonly ActionEntry Row = ActionEntry.Vmm("deploy", "Write the domain XML to the deployment file and create the domain.",
        [DeploymentFile, ThisHost.Optional(), VmId, VmHost], "libvirt domain XML", "the domain UUID (the new DEPLOY_ID)", () => new DeployAction());

    public async Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var file = arguments[DeploymentFile];
        var stdin = await context.ReadStdinAsync(cancellationToken).ConfigureAwait(false);
        var domain = ParseDomain(stdin);
        var name = domain.Element("name")?.Value.Trim() is { Length: > 0 } given
            ? given
            : throw new OneKvmException("The domain XML on stdin has no <name>.");

        // before any change on the host; also what makes the clean-up below safe: a domain
        // destroyed there is one this call created
        var existing = await context.Virsh.Domain(name)
            .StateOrFailAsync(cancellationToken, $"Could not check whether domain {name} already exists").ConfigureAwait(false);
        if (existing is not null and not "shut off")
        {
            throw new OneKvmException($"Domain {name} already exists and is {existing}; deploy does not start a second one.");
        }

        var resolved = DeploymentXml.ResolveDiskLinks(domain);
        if (resolved > 0)
        {
            context.Logger.DiskLinksResolved(resolved);
        }
        WriteDeploymentFile(file, resolved > 0 ? domain.ToString() + "\n" : stdin);

        await MemoryCleanup.RunIfAsync(context.Settings.CleanupMemoryOnStart, context, wait: true, cancellationToken)
            .ConfigureAwait(false);
        await Nvram.PrepareAsync(context.Settings, context.Logger, context.Programs, domain, cancellationToken).ConfigureAwait(false);
        var vmDirectory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        var vgpuCreated = await VmHostDevices.PrepareAsync(context, domain, name, vmDirectory, cancellationToken).ConfigureAwait(false);

        try
        {
            await CreateAsync(context, name, file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (vgpuCreated && e is OneKvmException or OperationCanceledException)
        {
            // no domain uses the vGPU made for it
            await VmHostDevices.ReleaseVgpuAsync(context, name, vmDirectory).ConfigureAwait(false);
            throw;
        }
        string uuid;
        try
        {
            uuid = await ReadUuidAsync(context, name, cancellationToken).ConfigureAwait(false);
            await SnapshotMetadata.RedefineAllAsync(context.Virsh, context.Logger, name, uuid, vmDirectory, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await DestroyAsync(context, name).ConfigureAwait(false);
            throw e is OperationCanceledException
                ? e
                : new OneKvmException($"Domain {name} was created but its UUID could not be read ({VirshException.ReasonOf(e)}); it was destroyed again.", e);
        }
        await context.Stdout.WriteLineAsync(uuid).ConfigureAwait(false);
    }

    internal static XElement ParseDomain(string stdin)
    {
        var root = SafeXml.Parse(stdin, "the domain XML on stdin").Root!;
        return root.Name.LocalName == "domain"
            ? root
            : throw new OneKvmException($"The domain XML on stdin has the root <{root.Name.LocalName}>, not <domain>.");
    }

    private static void WriteDeploymentFile(string file, string text)
    {
        try
        {
            // before the directory is made: mkdir -p through a planted link would make it elsewhere
            TrustedPath.CheckDirectoryOf(file);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            AtomicFile.WriteAllText(file, text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"Could not write the deployment file {file}: {e.Message.TrimEnd('.')}.", e);
        }
    }

    private static async Task CreateAsync(DriverContext context, string name, string file, CancellationToken cancellationToken)
    {
        ProgramResult create;
        try
        {
            create = await context.Virsh.TryRunAsync(VirshCommand.Create("create", "--file", file).WithoutDeadline(), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // a signal stopped virsh, not libvirtd: it may still finish the start
            await DestroyAsync(context, name).ConfigureAwait(false);
            throw;
        }
        if (create.Succeeded)
        {
            return;
        }
        var failure = new VirshException(create);
        if (create.StandardError.Contains("already exists", StringComparison.Ordinal))
        {
            throw new OneKvmException($"Domain {name} already exists ({failure.Reason()}); deploy does not start a second one.", failure);
        }
        throw VirshRunnerExtensions.ActionFailure($"Could not create domain {name} from {file}", failure);
    }

    private static async Task<string> ReadUuidAsync(DriverContext context, string name, CancellationToken cancellationToken)
    {
        var uuid = (await context.Virsh.RunAsync(VirshCommand.Create("domuuid", "--domain", name).WithReadOnly(), cancellationToken)
            .ConfigureAwait(false)).StandardOutput.Trim();
        return Guid.TryParse(uuid, out _) ? uuid : throw new OneKvmException($"virsh domuuid printed no UUID: '{Printable(uuid)}'");
    }

    /// <summary>
    /// Best effort, whatever cancelled the deployment: a created domain must not outlive it.
    /// Bounded by VIRSH_TIMEOUT although a destroy lasts as long as the guest is large: it runs
    /// after a signal or a failure, with nothing above it to stop a hang, and libvirtd goes on
    /// destroying after virsh is killed.
    /// </summary>
    private static async Task DestroyAsync(DriverContext context, string name)
    {
        try
        {
            if (await context.Virsh.Domain(name).DestroyAsync(unbounded: false, CancellationToken.None).ConfigureAwait(false))
            {
                context.Logger.CreatedDomainDestroyed(name);
            }
        }
        catch (VirshException)
        {
            // a hung virsh again: the timeout already said so in the log
        }
    }

    private static string Printable(string s) => s.Length > 60 ? OneLogFormatter.Printable(s[..60]) + "..." : OneLogFormatter.Printable(s);
}
