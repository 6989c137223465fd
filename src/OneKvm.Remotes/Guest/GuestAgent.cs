using System.Buffers;

namespace OneKvm.Remotes.Guest;

/// <summary>What the guest agent answered: its "return" value, or why there is none (one line).</summary>
internal sealed record AgentReply(JsonElement? Return, string? Problem)
{
    /// <summary>guest-exec-status's "exited" flag; null when the answer has none.</summary>
    public bool? Exited =>
        Return is { ValueKind: JsonValueKind.Object } status && status.TryGetProperty("exited", out var exited)
        && exited.ValueKind is JsonValueKind.True or JsonValueKind.False ? exited.ValueKind == JsonValueKind.True : null;

    public static AgentReply Failed(string problem) => new(null, problem);
}

/// <summary>
/// Commands for the QEMU guest agent of a domain, through <c>virsh qemu-agent-command</c>
/// (one virsh process per call, argument array, never a shell). Every call is bounded
/// twice: libvirt's own --timeout for the agent's answer, and a process deadline a few
/// seconds later in case virsh itself hangs.
/// </summary>
internal sealed class GuestAgent(VirshRunner virsh)
{
    /// <summary>How long virsh may take beyond the agent's timeout (connect, guest-sync, exit).</summary>
    public static readonly TimeSpan ProcessSlack = TimeSpan.FromSeconds(5);

    private readonly VirshRunner _virsh = virsh.WithAttempts(1);

    public Task<AgentReply> CallAsync(string domain, string json, TimeSpan timeout, CancellationToken cancellationToken) =>
        RunAsync(VirshCommand.Create("qemu-agent-command", domain, json,
                "--timeout", Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture))
            .WithDeadline(timeout + ProcessSlack), cancellationToken);

    /// <summary>Runs a command given as upstream's guestagent.conf writes it: the words after "virsh qemu-agent-command".</summary>
    public Task<AgentReply> CallWordsAsync(IReadOnlyList<string> words, TimeSpan processTimeout, CancellationToken cancellationToken) =>
        RunAsync(VirshCommand.Create("qemu-agent-command", words).WithDeadline(processTimeout), cancellationToken);

    private async Task<AgentReply> RunAsync(ProgramCommand command, CancellationToken cancellationToken)
    {
        try
        {
            var result = await _virsh.TryRunAsync(command, cancellationToken).ConfigureAwait(false);
            return result.Succeeded ? Parse(result.StandardOutput) : AgentReply.Failed(result.Reason());
        }
        catch (VirshTimeoutException e)
        {
            return AgentReply.Failed($"virsh did not finish within {e.Timeout.TotalSeconds:0} s and was stopped");
        }
        catch (OneKvmException e)
        {
            return AgentReply.Failed(e.Message);
        }
    }

    public static AgentReply Parse(string answer)
    {
        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("return", out var value)
                ? new AgentReply(value.Clone(), null)
                : AgentReply.Failed($"the agent's answer has no \"return\": {Shorten(answer)}");
        }
        catch (JsonException e)
        {
            return AgentReply.Failed($"the agent's answer is not JSON ({e.Message}): {Shorten(answer)}");
        }
    }

    /// <summary>guest-exec of <paramref name="path"/> with <paramref name="arguments"/>, then what <paramref name="more"/> adds.</summary>
    public static string Exec(string path, IEnumerable<string> arguments, Action<Utf8JsonWriter>? more = null) =>
        Command("guest-exec", w =>
        {
            w.WriteString("path", path);
            w.WriteStartArray("arg");
            foreach (var argument in arguments)
            {
                w.WriteStringValue(argument);
            }
            w.WriteEndArray();
            more?.Invoke(w);
        });

    /// <summary>{"execute": name, "arguments": {...}} written by <paramref name="arguments"/> (null: no arguments).</summary>
    public static string Command(string name, Action<Utf8JsonWriter>? arguments = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", name);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                writer.WriteStartObject();
                arguments(writer);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string Shorten(string text)
    {
        var line = text.Trim().ReplaceLineEndings(" ");
        return line.Length <= 200 ? line : line[..200] + "...";
    }
}

internal static class SentenceText
{
    /// <summary>Ends the text with a full stop, as the last line of a failed action does.</summary>
    public static string AsSentence(this string text)
    {
        var trimmed = text.TrimEnd();
        return trimmed.EndsWith('.') ? trimmed : trimmed + ".";
    }
}
