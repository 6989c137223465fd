using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Virsh;

namespace OneKvm.Remotes.Specs.Infrastructure;

/// <summary>
/// An in-process host for the dispatcher: captured streams, a chosen environment,
/// and a virsh runner whose waits take no time. Log lines go to the real stderr
/// (the console logger owns it); the protocol's stderr is in <see cref="Stderr"/>.
/// </summary>
internal sealed class SpecHost
{
    public StringWriter Stdout { get; } = new();

    public StringWriter Stderr { get; } = new();

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal);

    public List<TimeSpan> Sleeps { get; } = [];

    public string Stdin { get; set; } = "";

    public VirshRunner Virsh { get; set; } = VirshRunner.Default;

    public string? ProcessPath { get; set; } = "/nonexistent/vmm/kvm/onekvm";

    public DriverHost Build() => new(
        name => Environment.TryGetValue(name, out var v) ? v : null,
        new StringReader(Stdin),
        Stdout,
        Stderr,
        ProcessPath,
        Virsh,
        (delay, _) =>
        {
            Sleeps.Add(delay);
            return Task.CompletedTask;
        },
        TimeProvider.System);

    public Task<int> RunAsync(string invokedAs, params string[] args) =>
        Dispatcher.RunAsync(invokedAs, args, Build(), CancellationToken.None);
}
