using System.ComponentModel;
using System.Text;
using System.Text.Json;
using CliWrap;
using CliWrap.Buffered;
using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Lifecycle;

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
        try
        {
            var result = await Cli.Wrap(Executable).WithArguments(arguments)
                .WithEnvironmentVariables(env => env.Set("LANG", "C").Set("LC_ALL", "C"))
                .WithValidation(CommandResultValidation.None)
                .ExecuteBufferedAsync(Encoding.UTF8, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0)
            {
                var reason = result.StandardError.Trim().Replace('\n', ' ');
                throw new OneKvmException($"qemu-img {arguments[0]} failed: {(reason.Length > 0 ? reason : $"exit code {result.ExitCode}")}");
            }
            return result.StandardOutput;
        }
        catch (Win32Exception e)
        {
            throw new OneKvmException($"Cannot run '{Executable}': {e.Message.TrimEnd('.')}", e);
        }
    }
}
