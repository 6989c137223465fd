namespace OneKvm.Remotes.Host;

/// <summary>The two qemu-img calls deploy needs for the UEFI variables file.</summary>
internal static class QemuImg
{
    public const string Executable = "qemu-img";

    /// <summary>The image format qemu-img detects ("raw", "qcow2", ...).</summary>
    public static async Task<string> FormatAsync(ProgramRunner programs, string path, CancellationToken cancellationToken) =>
        FormatOf(await RunAsync(programs, ["info", "-U", "--output=json", path], cancellationToken).ConfigureAwait(false))
            ?? throw new OneKvmException($"qemu-img info did not report the format of {path}.");

    /// <summary>The top-level "format" of `qemu-img info --output=json`.</summary>
    public static string? FormatOf(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement is { ValueKind: JsonValueKind.Object } root && root.TryGetProperty("format", out var format)
                && format.ValueKind == JsonValueKind.String ? format.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static Task ConvertAsync(ProgramRunner programs, string source, string format, string destination, CancellationToken cancellationToken) =>
        RunAsync(programs, ["convert", "-O", format, source, destination], cancellationToken);

    private static Task<string> RunAsync(ProgramRunner programs, string[] arguments, CancellationToken cancellationToken) =>
        programs.RunOrFailAsync(ProgramCommand.Tool(Executable, arguments).WithLabel($"qemu-img {arguments[0]}").WithoutDeadline(), cancellationToken);
}
