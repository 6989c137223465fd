namespace OneKvm.Remotes.Driver;

/// <summary>
/// What an invocation receives from the process around it. Tests build their own
/// (fake environment, captured streams, a fake clock whose waits take no time).
/// </summary>
internal sealed record DriverHost(
    Func<string, string?> Environment,
    TextReader Stdin,
    TextWriter Stdout,
    TextWriter Stderr,
    string? ProcessPath,
    VirshRunner Virsh,
    TimeProvider Time)
{
    /// <param name="scrubProcessEnvironment">what empties the environment before a root helper runs (RootHelpers/RootEnvironment.cs)</param>
    public static DriverHost FromProcess(Action scrubProcessEnvironment) => new(
        System.Environment.GetEnvironmentVariable,
        // invalid UTF-8 is an error, never silently replaced (a domain name would change)
        new StreamReader(Console.OpenStandardInput(), new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true), false),
        Console.Out,
        Console.Error,
        System.Environment.ProcessPath,
        VirshRunner.Default,
        TimeProvider.System)
    {
        ScrubProcessEnvironment = scrubProcessEnvironment,
    };

    /// <summary>Empties the process environment before a root helper runs; a no-op in tests, whose process it is not.</summary>
    public Action ScrubProcessEnvironment { get; init; } = static () => { };
}
