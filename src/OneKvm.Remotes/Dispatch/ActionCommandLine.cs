using System.CommandLine;

namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// Parses an action's positional arguments with System.CommandLine. Every token is
/// taken as a value (a host named "-x" or "@x" is a host, not an option or a
/// response file); only a lone --help/-h asks for help, which goes to stderr.
/// </summary>
internal static class ActionCommandLine
{
    public static bool IsHelpRequest(IReadOnlyList<string> args) => args is ["--help" or "-h" or "-?"];

    public static ActionArguments Parse(ActionEntry entry, IReadOnlyList<string> args)
    {
        var (command, arguments) = Build(entry, withHelp: false);
        var result = command.Parse(["--", .. args], Configuration);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (parameter, argument) in entry.Parameters.Zip(arguments))
        {
            // GetValue throws for a missing required argument; the tokens say what was given
            if (result.GetResult(argument) is { Tokens.Count: > 0 } given)
            {
                values[parameter.Name] = given.Tokens[0].Value;
            }
        }
        var missing = entry.Parameters.FirstOrDefault(p => p.Required && !values.ContainsKey(p.Name));
        if (missing is not null || result.Errors.Count > 0)
        {
            var what = missing is not null ? $"the argument <{missing.Name}> is missing" : result.Errors[0].Message.TrimEnd('.');
            throw new UsageException($"{entry.Name}: {what}; usage: {entry.UsageLine}.");
        }
        return new ActionArguments(values, [.. result.UnmatchedTokens], [.. args]);
    }

    public static void WriteHelp(ActionEntry entry, TextWriter output) =>
        Build(entry, withHelp: true).Command.Parse(["--help"], Configuration)
            .Invoke(new InvocationConfiguration { Output = output, Error = output });

    private static readonly ParserConfiguration Configuration = new() { ResponseFileTokenReplacer = null };

    /// <param name="withHelp">
    /// Only help needs the help option: its description comes from System.CommandLine's resources,
    /// and the resource lookup initialises reflection, about a millisecond on every call.
    /// </param>
    private static (Command Command, List<Argument<string>> Arguments) Build(ActionEntry entry, bool withHelp)
    {
        var description = $"{entry.Summary}\n\nstdin:  {entry.Stdin}\nstdout: {entry.Answer}\n"
            + "Log lines and errors go to stderr; exit 0 is success.";
        // a plain Command, not RootCommand: RootCommand renames itself after argv[0]
        var command = new Command(entry.Name, description) { TreatUnmatchedTokensAsErrors = false };
        if (withHelp)
        {
            command.Options.Add(new System.CommandLine.Help.HelpOption());
        }
        var arguments = entry.Parameters.Select(p => new Argument<string>(p.Name)
        {
            Description = p.Description,
            Arity = p.Required ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne,
        }).ToList();
        arguments.ForEach(command.Arguments.Add);
        return (command, arguments);
    }
}
