namespace OneKvm.Remotes.Manual;

/// <summary>
/// The man pages onekvm(1) and onekvm-kvmrc(5), written from the action table and the kvmrc
/// parameter table (<c>onekvm man DIR</c>, run by packaging/build-packages.sh), so that a row
/// added to either table is in the pages of the next package.
/// </summary>
internal static class ManPages
{
    public const string Command = "man";
    public const string ToolPage = "onekvm.1";
    public const string KvmrcPage = "onekvm-kvmrc.5";

    public static readonly ToolCommand Row = ToolCommand.Of(Command, 2, call => Write(call.Args[1], call.Actions, call.Commands)) with
    {
        Help = ("onekvm man DIR", $"write the man pages {ToolPage} and {KvmrcPage} under DIR"),
        Manual = [("man DIR", $"For packaging: writes {ToolPage} and {KvmrcPage} under DIR.")],
    };

    public static int Write(string directory, IReadOnlyList<ActionEntry> actions, IReadOnlyList<ToolCommand> commands)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, ToolPage), Tool(actions, commands));
        File.WriteAllText(Path.Combine(directory, KvmrcPage), Kvmrc());
        return Errors.ExitCodes.Success;
    }

    public static string Tool(IReadOnlyList<ActionEntry> actions, IReadOnlyList<ToolCommand> commands)
    {
        var page = new Roff("ONEKVM", 1);
        page.Section("NAME").Text("onekvm - OpenNebula's KVM driver actions in one binary");
        page.Section("SYNOPSIS")
            .Line($".B onekvm").Line(".RB [ --list | --version | --help ]").Line(".br")
            .Line(".B onekvm doctor").Line(".RB [ --json ]").Line(".RI \"[ --datastore \" DIR \" ]...\"").Line(".br")
            .Line(".B onekvm doctor").Line(".RB [ --json ]").Line(".B --hosts").Line(".IR HOST ...").Line(".RI \"[ --remote-dir \" DIR \" ]\"").Line(".br")
            .Line(".B onekvm kvmrc").Line(".br")
            .Line(".B onekvm").Line(".I action").Line(".RI [ argument ...]");
        page.Section("DESCRIPTION")
            .Text("onekvm replaces the bash and Ruby scripts of OpenNebula's KVM driver remotes. Each action is an entry in the remotes tree "
                + $"(/var/lib/one/remotes on the front-end, copied to every host by onehost sync): a small program that starts {ActionEntry.BinaryRemotesPath} "
                + "of its tree with the entry's name as argv[0]. onekvm runs the action named by argv[0], or the one named by its first argument. "
                + "Actions are called like upstream's scripts: arguments, XML on stdin, the answer on stdout, log lines on stderr, exit 0 for success.")
            .Paragraph().Text("Settings come from the kvmrc of the tree the entry sits in, <remotes>/etc/vmm/kvm/kvmrc; see onekvm-kvmrc(5). "
                + $"{RemotesLocation.KvmrcOverrideVariable}=FILE in the environment reads another file instead.");
        page.Section("COMMANDS");
        foreach (var (term, text) in commands.SelectMany(c => c.Manual).Append(("action --help", "The arguments, stdin and answer of one action, on stderr.")))
        {
            page.Item(term, text);
        }
        page.Section("ACTIONS");
        foreach (var entry in actions.Where(e => e.Kind != EntryKind.Tool))
        {
            page.Item(entry.UsageLine,
                $"{entry.Summary} Entry: {entry.RemotesPath}. Reads on stdin: {entry.Stdin}. Answers: {entry.Answer}.");
        }
        page.Section("EXIT STATUS")
            .Text("Actions: 0 on success; otherwise non-zero, with one sentence saying what went wrong as the last line of stderr. Never 42 "
                + "(which the driver takes as \"resync the remotes\"). doctor: 0 when every finding is OK, 1 when some are WARN, 2 when some are FAIL.");
        page.Section("FILES")
            .Item(ActionEntry.BinaryRemotesPath, "the binary, under the remotes tree")
            .Item(RemotesLocation.KvmrcRelativePath, "its settings, under the remotes tree")
            .Item("/usr/share/onekvm-remotes/upstream/", "where the packages move OpenNebula's files that onekvm replaces, until they are removed");
        page.Section("SEE ALSO").Text("onekvm-kvmrc(5), onehost(1)");
        return page.ToString();
    }

    public static string Kvmrc()
    {
        var page = new Roff("ONEKVM-KVMRC", 5);
        page.Section("NAME").Text("onekvm-kvmrc - settings of the KVM driver, as onekvm reads them");
        page.Section("DESCRIPTION")
            .Text($"onekvm reads <remotes>/{RemotesLocation.KvmrcRelativePath} of the tree its entry sits in, on every action. "
                + "The file is never run by a shell: onekvm parses the subset of shell that kvmrc files use, and nothing in it is ever executed.")
            .Paragraph().Text("Understood: comments, blank lines, NAME=value, export NAME=value, single and double quotes, backslash escapes, "
                + "line continuations, $NAME, ${NAME}, ${NAME:-word} and ${NAME-word} (from earlier lines, then the environment), inline comments.")
            .Paragraph().Text("How this differs from sourcing the file in a shell:");
        page.Item("*", "A line onekvm cannot interpret (a command, $(...), a redirection, an if block, a function) is skipped whole "
                + "and reported as one WARN line with its file and line number in the VM log; a shell would have run it.")
            .Item("*", "A value upstream's scripts accept never fails an action: it is taken the way they take it, and the action that reads it "
                + "writes one WARN line with the file, the line, the value and what it was taken as. Only a value that could do harm "
                + "(a negative timeout) is an error, naming the parameter, and only for the actions that read it.")
            .Item("*", "yes/no parameters are yes only for exactly yes, as upstream's scripts compare; true, YES or 1 are no, with a WARN line.")
            .Item("*", "NAME= (empty) is the same as unset: the default applies, as upstream's [ -z ] tests do.")
            .Item("*", "Assignments override the environment, as source does; exported variables reach virsh's environment; "
                + "LANG and LC_ALL are always C for virsh, so that its messages can be recognised.")
            .Item("*", "A missing kvmrc is a WARN line, and the defaults below apply.");
        page.Section("PARAMETERS")
            .Text("Each parameter with its default (what upstream's scripts do when it is unset, not what the shipped kvmrc sets) and how its value is read.");
        foreach (var parameter in KvmrcParameters.All)
        {
            var unset = parameter.Default switch
            {
                null => "Unset by default.",
                "" => "Empty by default.",
                var d => $"Default: {d}.",
            };
            var description = char.ToUpperInvariant(parameter.Description[0]) + parameter.Description[1..];
            page.Item(parameter.Name, $"{description}. {unset} {Reading(parameter)}");
        }
        page.Section("EXAMPLES").Text("onekvm kvmrc prints the value of each parameter and where it comes from; onekvm doctor reports every skipped line.");
        page.Section("FILES").Item("/usr/share/doc/onekvm-remotes/examples/kvmrc", "an annotated example");
        page.Section("SEE ALSO").Text("onekvm(1)");
        return page.ToString();
    }

    private static string Reading(KvmrcParameter parameter) => parameter.Kind switch
    {
        ParameterKind.Text => "Taken as written, after quotes and $NAME expansions.",
        ParameterKind.Seconds => (parameter.Name == KvmrcParameters.VirshTimeout
            ? "A whole number of seconds, 1 or more. Not a whole number, or 0"
            : "A whole number of seconds, 0 or more. Not a whole number")
            + ": the default, with a WARN line; beyond 2147483 (24.8 days): 2147483; negative: an error for the actions that read it.",
        ParameterKind.Count => "A whole number, 0 or more (0 and 1 both mean one attempt); anything else is the default, with a WARN line.",
        ParameterKind.YesNo => "yes, or anything else for no (a WARN line for a value other than yes and no).",
        ParameterKind.Words => "Split on blanks into separate arguments; no globbing, and no shell runs them.",
        ParameterKind.DiskCache => "One of " + string.Join(", ", KvmSettings.CacheModes) + OtherModes,
        ParameterKind.DiskDiscard => "One of " + string.Join(", ", KvmSettings.DiscardModes) + OtherModes,
        ParameterKind.DiskIo => "One of " + string.Join(", ", KvmSettings.IoModes) + OtherModes,
        ParameterKind.IoTune or ParameterKind.IoThread => "A whole number, 0 or more; anything else is an error (libvirt refuses it too).",
        ParameterKind.QueuesOrAuto => "A whole number, 0 or more, or auto; anything else is an error (libvirt refuses it too).",
        _ => "",
    };

    private const string OtherModes = "; another value goes into the disk XML as it is, as upstream writes it, for libvirt to take or refuse (a WARN line).";

    /// <summary>A man page in roff, with text escaped so that no line starts a request by accident.</summary>
    private sealed class Roff(string title, int section)
    {
        private readonly StringBuilder _text = new StringBuilder().Append(".TH ").Append(title).Append(' ').Append(section)
            .Append(" \"\" \"onekvm ").Append(ToolCommand.Version).Append("\" \"OneKvm.Remotes\"\n");

        public Roff Section(string name) => Line(".SH " + name);

        public Roff Paragraph() => Line(".PP");

        public Roff Text(string text) => Line(Escape(text));

        public Roff Item(string tag, string text) => Line(".TP").Line(Escape(tag)).Line(Escape(text));

        public Roff Line(string line)
        {
            _text.Append(line.Replace("-", "\\-", StringComparison.Ordinal)).Append('\n');
            return this;
        }

        private static string Escape(string text)
        {
            var escaped = text.Replace("\\", "\\e", StringComparison.Ordinal);
            return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
        }

        public override string ToString() => _text.ToString();
    }
}
