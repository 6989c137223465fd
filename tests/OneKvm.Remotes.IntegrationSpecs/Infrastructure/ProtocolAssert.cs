using System.Text.RegularExpressions;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Infrastructure;

/// <summary>Checks of the driver protocol (driver-contract.md): what one_vmm_exec will make of a run.</summary>
public static partial class ProtocolAssert
{
    [GeneratedRegex(@"^(ERROR|INFO|WARN|DEBUG):\s+(\d+)?\s*(.*)$")]
    private static partial Regex LogLine();

    public static void Succeeded(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, "expected success, got " + result);
        foreach (var line in result.StderrLines)
        {
            Assert.True(LogLine().IsMatch(line), $"a successful action wrote a non-log line to stderr: '{line}'\n{result}");
        }
    }

    /// <summary>Failed: non-zero (never 42), and the last stderr line is one plain sentence (not a log line, no stack trace).</summary>
    public static string Failed(ProcessResult result)
    {
        Assert.True(result.ExitCode != 0, "expected failure, got " + result);
        Assert.NotEqual(42, result.ExitCode);
        var lines = result.StderrLines;
        Assert.True(lines.Length > 0, "a failure must say why on stderr\n" + result);
        var last = lines[^1];
        Assert.False(LogLine().IsMatch(last), $"the last stderr line must be the plain error sentence, got '{last}'");
        Assert.EndsWith(".", last.TrimEnd());
        Assert.DoesNotContain(lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception:", StringComparison.Ordinal) && !LogLine().IsMatch(l));
        var plain = lines.Where(l => !LogLine().IsMatch(l)).ToList();
        Assert.True(plain.Count == 1, $"oned joins every non-log stderr line into the error; expected one, got:\n{string.Join('\n', plain)}");
        return last;
    }

    public static IEnumerable<string> LogLines(ProcessResult result, string level) =>
        result.StderrLines.Where(l => l.StartsWith(level + ": ", StringComparison.Ordinal));
}
