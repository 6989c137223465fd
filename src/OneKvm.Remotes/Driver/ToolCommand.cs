using System.Reflection;

namespace OneKvm.Remotes.Driver;

/// <summary>
/// One command of the binary called by its own name (onekvm --list, onekvm doctor...): the
/// names it answers to, the arguments it takes, its line in onekvm --help, its items in
/// onekvm(1) and what it runs. Each command declares its row beside its code; Dispatch/ActionTable.cs lists them.
/// </summary>
internal sealed record ToolCommand(string[] Names, Func<IReadOnlyList<string>, bool> Takes, Func<ToolCall, Task<int>> RunAsync)
{
    /// <summary>Its line in onekvm --help (usage, what it does); none for --help itself.</summary>
    public (string Usage, string Text)? Help { get; init; }

    /// <summary>Its items in the COMMANDS section of onekvm(1).</summary>
    public IReadOnlyList<(string Term, string Text)> Manual { get; init; } = [];

    public bool Matches(IReadOnlyList<string> args) => Names.Contains(args[0]) && Takes(args);

    /// <summary>A command that takes <paramref name="count"/> arguments (its name included), or any number when null.</summary>
    public static ToolCommand Of(string name, int? count, Func<ToolCall, int> run) =>
        new([name], args => count is null || args.Count == count, call => Task.FromResult(run(call)));

    public static string Version =>
        typeof(ToolCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}

/// <summary>One call of a tool command: its arguments (the command's name first), the process around it and the table.</summary>
internal sealed record ToolCall(string InvokedAs, IReadOnlyList<string> Args, DriverHost Host, IReadOnlyList<ActionEntry> Actions,
    IReadOnlyList<ToolCommand> Commands, CancellationToken CancellationToken)
{
    public ActionEntry Tool => Actions.First(e => e.Kind == EntryKind.Tool);

    /// <summary>The remotes tree of the binary, and its kvmrc.</summary>
    public RemotesLocation Location() => RemotesLocation.Resolve(InvokedAs, Tool, Host.ProcessPath, Host.Environment);

    /// <summary>The virsh preset from the binary's kvmrc, logging its retries and timeouts as an action's does.</summary>
    public VirshRunner Virsh() => new DriverContext(Tool, Location(), Host).Virsh;
}
