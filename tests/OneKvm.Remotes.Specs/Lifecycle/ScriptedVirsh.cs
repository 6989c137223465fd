using OneKvm.Remotes.TestDocuments;

namespace OneKvm.Remotes.Specs.Lifecycle;

/// <summary>
/// A virsh that answers each verb as a test scripts it (per call number, or for every
/// call), for what a real libvirt cannot be made to do here: a pmsuspended guest, an
/// active block job, a UUID that does not parse. Records each call's argv and stdin.
/// </summary>
internal sealed class ScriptedVirsh : IDisposable
{
    private const string Script = """
        #!/bin/bash
        dir="$(dirname "$0")"
        args=("$@"); i=0
        while [ $i -lt ${#args[@]} ]; do
          case "${args[$i]}" in --connect) i=$((i+2)) ;; --readonly) i=$((i+1)) ;; *) break ;; esac
        done
        verb="${args[$i]}"
        n=$(( $(cat "$dir/count.$verb" 2>/dev/null || echo 0) + 1 ))
        echo "$n" > "$dir/count.$verb"
        printf '%s\0' "$@" >> "$dir/calls"; echo >> "$dir/calls"
        cat > "$dir/stdin.$verb.$n"
        r="$dir/r.$verb.$n"; [ -e "$r.rc" ] || r="$dir/r.$verb"
        [ -e "$r.rc" ] || { echo "error: unscripted verb $verb" >&2; exit 1; }
        [ -e "$r.sleep" ] && sleep "$(cat "$r.sleep")"
        cat "$r.out"; cat "$r.err" >&2; exit "$(cat "$r.rc")"

        """;

    public ScriptedVirsh()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"onekvm-t-scripted-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Executable = Path.Combine(Directory, "virsh");
        ExecutableFile.Write(Executable, Script);
    }

    public string Directory { get; }

    public string Executable { get; }

    /// <summary>Scripts <paramref name="verb"/>: for call number <paramref name="call"/> only, or for every call; it answers after <paramref name="seconds"/>.</summary>
    public ScriptedVirsh On(string verb, int exit = 0, string stdout = "", string stderr = "", int? call = null, int seconds = 0)
    {
        var stem = Path.Combine(Directory, call is null ? $"r.{verb}" : $"r.{verb}.{call}");
        if (seconds > 0)
        {
            File.WriteAllText(stem + ".sleep", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        File.WriteAllText(stem + ".out", stdout);
        File.WriteAllText(stem + ".err", stderr);
        File.WriteAllText(stem + ".rc", exit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>Each call's argv after --connect URI [--readonly].</summary>
    public IReadOnlyList<string[]> Calls =>
        File.Exists(Path.Combine(Directory, "calls"))
            ? File.ReadAllLines(Path.Combine(Directory, "calls"))
                .Select(l => l.TrimEnd('\0').Split('\0'))
                .Select(a => a.SkipWhile(x => x is "--connect" or "--readonly" || x.Contains("://", StringComparison.Ordinal)).ToArray())
                .ToList()
            : [];

    public IReadOnlyList<string> Verbs => Calls.Select(c => c[0]).ToList();

    public int CallsTo(string verb) => Verbs.Count(v => v == verb);

    public string Stdin(string verb, int call) => File.ReadAllText(Path.Combine(Directory, $"stdin.{verb}.{call}"));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
