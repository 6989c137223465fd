using Microsoft.Extensions.Logging;

namespace OneKvm.Remotes.Host;

/// <summary>What the host helpers take from the action that calls them.</summary>
internal interface IProgramHost
{
    ProgramRunner Programs { get; }

    ILogger Logger { get; }

    /// <summary>VIRSH_TIMEOUT: the bound of ssh's connect and of a root helper's run.</summary>
    TimeSpan VirshTimeout { get; }

    /// <summary>The directory of the entry that was started (vmm/kvm), where the datastore hooks are.</summary>
    string EntryDirectory { get; }

    /// <summary>The top of the remotes tree, where the root helpers are.</summary>
    string RemotesRoot { get; }
}
