using System.Text.Json;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Host;

namespace OneKvm.Remotes.Host;

/// <summary>The two qemu-img calls deploy needs for the UEFI variables file.</summary>
internal static class QemuImg
{
    public const string Executable = "qemu-img";

    /// <summary>The image format qemu-img detects ("raw", "qcow2", ...).</summary>
    public static async Task<string> FormatAsync(string path, CancellationToken cancellationToken)
    {
        var json = await RunAsync(["info", "-U", "--output=json", path], cancellationToken).ConfigureAwait(false);
        return FormatOf(json) ?? throw new OneKvmException($"qemu-img info did not report the format of {path}.");
    }

    /// <summary>The top-level "format" of `qemu-img info --output=json`.</summary>
    public static string? FormatOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                   && document.RootElement.TryGetProperty("format", out var format)
                   && format.ValueKind == JsonValueKind.String
                ? format.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static Task ConvertAsync(string source, string format, string destination, CancellationToken cancellationToken) =>
        RunAsync(["convert", "-O", format, source, destination], cancellationToken);

    private static async Task<string> RunAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var label = $"qemu-img {arguments[0]}";
        var result = await ExternalTool.RunAsync(ExternalTool.Prepare(Executable, arguments), label, ExternalTool.NoDeadline, cancellationToken)
            .ConfigureAwait(false);
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new OneKvmException($"{label} failed: {ExternalTool.Reason(result)}");
    }
}
