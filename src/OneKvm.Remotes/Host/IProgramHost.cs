namespace OneKvm.Remotes.Host;

/// <summary>What the host helpers take from the action calling them: the runner, the log, VIRSH_TIMEOUT, where the hooks, root helpers
/// and kvmrc are, and the process environment.</summary>
internal interface IProgramHost
{
    ProgramRunner Programs { get; }

    ILogger Logger { get; }

    TimeSpan VirshTimeout { get; }

    string EntryDirectory { get; }

    string RemotesRoot { get; }

    string KvmrcPath { get; }

    Func<string, string?> Environment { get; }
}
