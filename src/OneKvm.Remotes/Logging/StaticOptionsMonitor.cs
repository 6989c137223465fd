using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace OneKvm.Remotes.Logging;

/// <summary>Fixed options for the console logger without a DI container (cheaper start-up, no AOT warnings).</summary>
internal sealed class StaticOptionsMonitor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
