using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// An in-process host for the dispatcher: captured streams, a chosen environment,
/// and a fake clock whose waits take no time. <see cref="Stderr"/> holds what the
/// action wrote there in order: its log lines and, when it failed, the sentence.
/// </summary>
internal sealed class SpecHost
{
    public StringWriter Stdout { get; } = new();

    public StringWriter Stderr { get; } = new();

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>The fake clock every wait of the action runs on.</summary>
    public SpecTime Time { get; } = new();

    public List<TimeSpan> Sleeps => Time.Sleeps;

    public string Stdin { get; set; } = "";

    public VirshRunner Virsh { get; set; } = VirshRunner.Default;

    public string? ProcessPath { get; set; } = "/nonexistent/vmm/kvm/onekvm";

    /// <summary>stderr's log lines ("LEVEL: action: ..."), as one_vmm_exec puts them in the VM log.</summary>
    public IReadOnlyList<string> LogLines => [.. StderrLines.Where(IsLogLine)];

    /// <summary>stderr without the log lines: the error sentence of a failed action, or nothing.</summary>
    public string Sentences => string.Concat(StderrLines.Where(line => !IsLogLine(line)).Select(line => line + "\n"));

    private IEnumerable<string> StderrLines => Stderr.ToString().Split('\n').SkipLast(1);

    private static bool IsLogLine(string line) =>
        line.StartsWith("DEBUG: ", StringComparison.Ordinal) || line.StartsWith("INFO: ", StringComparison.Ordinal) ||
        line.StartsWith("WARN: ", StringComparison.Ordinal) || line.StartsWith("ERROR: ", StringComparison.Ordinal);

    public DriverHost Build() => new(
        name => Environment.TryGetValue(name, out var v) ? v : null,
        new StringReader(Stdin),
        Stdout,
        Stderr,
        ProcessPath,
        Virsh,
        Time);

    public Task<int> RunAsync(string invokedAs, params string[] args) =>
        Dispatcher.RunAsync(invokedAs, args, Build(), CancellationToken.None);
}
