namespace OneKvm.Remotes.Migration;

/// <summary>
/// The one `virsh migrate` call of a live migration, as an argument array:
/// --live, MIGRATE_OPTIONS (kvmrc, split into words), the VM's own FEATURES (which win
/// over the same kvmrc options), --persistent --undefinesource for a persistent domain
/// (else its definition would stay behind, shut off, on the source), the storage copy
/// options, then the domain and the destination URI by name. An option is never given
/// twice: virsh refuses "option --compressed already seen".
/// </summary>
/// <param name="DestinationXml">The domain XML for the destination when it differs from the source's (another VM directory).</param>
internal sealed record MigrateCommand(
    string Domain,
    string DestinationUri,
    IReadOnlyList<string> KvmrcOptions,
    VmMigrationFeatures Vm,
    bool Persistent,
    IReadOnlyList<string> StorageOptions,
    string? DestinationXml = null)
{
    /// <summary>Options of the VM's features that carry a value in the next word.</summary>
    private static readonly string[] ValuedFeatureOptions = ["--auto-converge-initial", "--auto-converge-increment"];

    public IReadOnlyList<string> Arguments()
    {
        var vm = Vm.Arguments();
        var overridden = vm.Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var arguments = new List<string>();
        AddAbsent(arguments, "--live");
        for (var i = 0; i < KvmrcOptions.Count; i++)
        {
            var word = KvmrcOptions[i];
            var name = NameOf(word);
            if (overridden.Contains(name))
            {
                // "--auto-converge-initial 10" is two words, "--auto-converge-initial=10" one
                if (ValuedFeatureOptions.Contains(name) && word == name)
                {
                    i++;
                }
                continue;
            }
            if (!(word == "--live" && arguments.Contains("--live")))
            {
                arguments.Add(word);
            }
        }
        arguments.AddRange(vm);
        if (Persistent)
        {
            AddAbsent(arguments, "--persistent");
            AddAbsent(arguments, "--undefinesource");
        }
        foreach (var option in StorageOptions)
        {
            AddAbsent(arguments, option);
        }
        arguments.AddRange(["--domain", Domain, "--desturi", DestinationUri]);
        return arguments;
    }

    /// <summary>
    /// Without VIRSH_TIMEOUT: it lasts as long as the guest's memory (and disks) take to copy;
    /// a signal still stops it. Retried while libvirt reports an active block job, as upstream.
    /// </summary>
    public ProgramCommand ToVirsh()
    {
        var command = VirshCommand.Create("migrate", Arguments()).WithoutDeadline().RetriedWhileBlockJob();
        // the domain as the destination starts it (its files in another directory), with its secrets: never written to a file
        return DestinationXml is null ? command : command.WithArguments("--xml", "/dev/stdin").WithStandardInput(DestinationXml);
    }

    private static void AddAbsent(List<string> arguments, string option)
    {
        if (!arguments.Any(a => NameOf(a) == option))
        {
            arguments.Add(option);
        }
    }

    private static string NameOf(string word)
    {
        var equals = word.IndexOf('=', StringComparison.Ordinal);
        return word.StartsWith("--", StringComparison.Ordinal) && equals > 0 ? word[..equals] : word;
    }
}
