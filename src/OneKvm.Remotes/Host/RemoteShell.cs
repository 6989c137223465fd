namespace OneKvm.Remotes.Host;

/// <summary>
/// Runs a command on another host through ssh, as upstream does for what libvirt cannot
/// do there. ssh hands the remote shell one line, so the command is given as words and
/// each word is quoted for that shell (upstream pasted names and paths into the line as
/// they came). BatchMode makes ssh fail instead of waiting for a password.
/// </summary>
internal static class RemoteShell
{
    public const string Executable = "ssh";

    /// <summary>ssh's argv: no prompts, a bounded connect, then the host and the quoted command line.</summary>
    public static IReadOnlyList<string> Arguments(string host, IReadOnlyList<string> command, TimeSpan connectTimeout) =>
        LineArguments(host, string.Join(' ', command.Select(ShellQuote.Quote)), connectTimeout);

    /// <summary>ssh's argv for a command line already written for the remote shell (its values quoted with <see cref="ShellQuote"/>).</summary>
    public static IReadOnlyList<string> LineArguments(string host, string line, TimeSpan connectTimeout) =>
    [
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=" + Math.Max(1, (int)connectTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        "--", host,
        line,
    ];

    /// <summary>The ssh call, named "ssh node2 sudo" in failures; bounded like a virsh call unless the caller says otherwise.</summary>
    public static ProgramCommand Command(string host, IReadOnlyList<string> command, TimeSpan connectTimeout) =>
        ProgramCommand.Tool(Executable, Arguments(host, command, connectTimeout)).WithLabel($"ssh {host} {command[0]}").WithDeadline(connectTimeout);
}
