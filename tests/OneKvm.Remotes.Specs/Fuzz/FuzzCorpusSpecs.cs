using OneKvm.Remotes.Fuzz;
using Xunit;

namespace OneKvm.Remotes.Specs.Fuzz;

/// <summary>
/// What CI runs of the fuzzing (tests/fuzz/run.sh runs the targets under AFL++): every file of
/// tests/fuzz-corpus/&lt;target&gt;/ (the seeds, and each crash the fuzzer found, kept as a regression)
/// goes through its target under the same property: success or the one-sentence failure, no other
/// exception, allocation within the bound, and an end (a hang bound far above any parse).
/// </summary>
public sealed class FuzzCorpusSpecs : IDisposable
{
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    private static string Corpus => Path.Combine(AppContext.BaseDirectory, "fuzz-corpus");

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.All)
        {
            var directory = Path.Combine(Corpus, target.Name);
            foreach (var file in (Directory.Exists(directory) ? Directory.GetFiles(directory) : []).Order(StringComparer.Ordinal))
            {
                data.Add(target.Name, Path.GetFileName(file));
            }
        }
        return data;
    }

    [Fact]
    public void Every_fuzz_target_has_a_seed_corpus_in_the_repository()
    {
        var missing = FuzzTargets.All
            .Where(t => !Directory.Exists(Path.Combine(Corpus, t.Name)) || Directory.GetFiles(Path.Combine(Corpus, t.Name)).Length == 0)
            .Select(t => t.Name);

        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public async Task Every_corpus_input_ends_in_success_or_the_one_sentence_failure_within_the_memory_bound(string target, string file)
    {
        var fuzzTarget = FuzzTargets.Find(target)!;
        var input = File.ReadAllBytes(Path.Combine(Corpus, target, file));

        // FuzzProperty.Run throws what broke the property: an undocumented exception or memory past the bound
        var outcome = await Task.Run(() => FuzzProperty.Run(fuzzTarget, input)).WaitAsync(HangBound);

        Assert.False(string.IsNullOrWhiteSpace(outcome));
    }

    public void Dispose() => FuzzTargets.DeleteScratch();
}
