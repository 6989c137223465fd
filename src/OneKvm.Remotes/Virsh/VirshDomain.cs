namespace OneKvm.Remotes.Virsh;

/// <summary>
/// One domain as a libvirt has it: the only place that reads its state (domstate), XML (dumpxml,
/// parsed with <see cref="SafeXml"/>), info (dominfo) and statistics (domstats), and that destroys it.
/// A domain libvirt does not have is null (or "gone"), never an error; any other failure is a
/// <see cref="VirshException"/>, or the action's failure where a method says so.
/// </summary>
internal sealed record VirshDomain(VirshRunner Virsh, string Name)
{
    /// <summary>The state as virsh domstate prints it ("running", "shut off", ...), or null when there is no such domain.</summary>
    public async Task<string?> StateAsync(CancellationToken cancellationToken) =>
        (await ReadAsync(VirshCommand.Create("domstate", "--domain", Name), cancellationToken).ConfigureAwait(false))?.Trim();

    /// <summary>As <see cref="StateAsync"/>; a failure is the action's ("<paramref name="failure"/>: ...", by default "Could not read the state of domain X").</summary>
    public async Task<string?> StateOrFailAsync(CancellationToken cancellationToken, string? failure = null)
    {
        try
        {
            return await StateAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException e)
        {
            throw VirshRunnerExtensions.ActionFailure(failure ?? $"Could not read the state of domain {Name}", e);
        }
    }

    /// <summary>"state (reason)" as domstate --reason prints it, or null when there is no such domain.</summary>
    public Task<string?> StateAndReasonAsync(CancellationToken cancellationToken) =>
        ReadAsync(VirshCommand.Create("domstate", "--domain", Name, "--reason"), cancellationToken);

    /// <summary>Gone means no such domain, or a persistent one that is shut off.</summary>
    public async Task<bool> IsGoneAsync(CancellationToken cancellationToken) =>
        await StateAsync(cancellationToken).ConfigureAwait(false) is null or "shut off";

    /// <summary>What dominfo says, or null when there is no such domain.</summary>
    public async Task<DomainInfo?> InfoAsync(CancellationToken cancellationToken)
    {
        var result = await ReadResultAsync(VirshCommand.Create("dominfo", "--domain", Name), cancellationToken).ConfigureAwait(false);
        return result is null ? null : DomainInfo.Parse(result.StandardOutput) ?? throw new VirshException(result with
        {
            ExitCode = 1,
            StandardError = $"virsh dominfo printed no Name, UUID and State for {Name}",
        });
    }

    /// <summary>What domstats prints of it for <paramref name="arguments"/> (taken by position: "--" keeps a name a name), or null when there is no such domain.</summary>
    public Task<string?> StatsAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ReadAsync(VirshCommand.Create("domstats", arguments).WithArguments("--", Name), cancellationToken);

    /// <summary>The live XML; a failure is the action's ("<paramref name="failure"/>: ...", by default "Could not read the XML of domain X").</summary>
    public async Task<XElement> XmlAsync(CancellationToken cancellationToken, string? failure = null) =>
        Parse((await Virsh.RunOrFailAsync(DumpXml, failure ?? XmlFailure, cancellationToken).ConfigureAwait(false))
            .StandardOutput);

    /// <summary>The live XML, or null when there is no such domain; any other failure is the action's.</summary>
    public async Task<XElement?> XmlIfDefinedAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReadAsync(DumpXml, cancellationToken).ConfigureAwait(false) is { } xml ? Parse(xml) : null;
        }
        catch (VirshException e) when (e is not VirshTimeoutException)
        {
            throw VirshRunnerExtensions.ActionFailure(XmlFailure, e);
        }
    }

    /// <summary>The live XML, or null when virsh could not print it, whatever the reason.</summary>
    public async Task<XElement?> XmlOrNullAsync(CancellationToken cancellationToken)
    {
        var dump = await Virsh.TryRunAsync(DumpXml, cancellationToken).ConfigureAwait(false);
        return dump.Succeeded ? Parse(dump.StandardOutput) : null;
    }

    /// <summary>The XML to migrate with (--migratable, secrets included: --security-info, so not read-only); a failure is the action's.</summary>
    public async Task<XElement> MigratableXmlAsync(CancellationToken cancellationToken) =>
        Parse((await Virsh.RunOrFailAsync(VirshCommand.Create("dumpxml", "--domain", Name, "--migratable", "--security-info"),
            XmlFailure, cancellationToken).ConfigureAwait(false)).StandardOutput);

    /// <summary>Destroys it, bounded by VIRSH_TIMEOUT unless <paramref name="unbounded"/>; false when it was not running or not there.</summary>
    public async Task<bool> DestroyAsync(bool unbounded, CancellationToken cancellationToken)
    {
        var command = VirshCommand.Create("destroy", "--domain", Name);
        var destroy = await Virsh.TryRunAsync(unbounded ? command.WithoutDeadline() : command, cancellationToken).ConfigureAwait(false);
        return destroy.Succeeded || (VirshErrors.IsDomainNotFound(destroy.StandardError) || VirshErrors.IsDomainNotRunning(destroy.StandardError)
            ? false
            : throw new VirshException(destroy));
    }

    /// <summary>
    /// Destroys it (unbounded) until it is gone (QEMU stuck in the kernel outlives a first destroy): <paramref name="attempts"/>
    /// destroys <paramref name="interval"/> apart on <paramref name="time"/>; false when it was not running.
    /// </summary>
    public async Task<bool> DestroyUntilGoneAsync(int attempts, TimeSpan interval, TimeProvider time, CancellationToken cancellationToken)
    {
        VirshException? failure = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!await DestroyAsync(unbounded: true, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
            catch (VirshException e) when (e is not VirshTimeoutException)
            {
                failure = e;
            }
            if (await IsGoneAsync(cancellationToken).ConfigureAwait(false))
            {
                return true;
            }
            if (attempt >= attempts)
            {
                throw failure is not null
                    ? VirshRunnerExtensions.ActionFailure($"Could not destroy domain {Name}", failure)
                    : new OneKvmException($"Could not destroy domain {Name}: it is still running after {attempts} attempts.");
            }
            await Task.Delay(interval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The VM directory in the system datastore (OpenNebula's metadata), or null when the domain carries no such metadata.</summary>
    public async Task<string?> SystemDatastoreAsync(KvmSettings settings, CancellationToken cancellationToken)
    {
        var command = VirshCommand.Create("metadata", "--domain", Name, "--uri", settings.LibvirtMetadataUri,
            "--key", settings.LibvirtMetadataKey).WithReadOnly();
        var result = await Virsh.TryRunAsync(command, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? OneMetadata.SystemDatastore(result.StandardOutput)
            : result.StandardError.Contains("metadata not found", StringComparison.OrdinalIgnoreCase) ? null
            : throw new VirshException(result);
    }

    private ProgramCommand DumpXml => VirshCommand.Create("dumpxml", "--domain", Name).WithReadOnly();

    private string XmlFailure => $"Could not read the XML of domain {Name}";

    private XElement Parse(string xml) => SafeXml.Parse(xml, $"the XML of domain {Name}").Root!;

    /// <summary>A read-only call's output, or null when there is no such domain.</summary>
    private async Task<string?> ReadAsync(ProgramCommand command, CancellationToken cancellationToken) =>
        (await ReadResultAsync(command, cancellationToken).ConfigureAwait(false))?.StandardOutput;

    private async Task<ProgramResult?> ReadResultAsync(ProgramCommand command, CancellationToken cancellationToken)
    {
        var result = await Virsh.TryRunAsync(command.WithReadOnly(), cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result : VirshErrors.IsDomainNotFound(result.StandardError) ? null : throw new VirshException(result);
    }
}
