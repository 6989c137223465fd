namespace OneKvm.Remotes.Checkpoints;

/// <summary>
/// A checkpoint that already exists is never overwritten: it is moved to
/// <c>&lt;file&gt;.&lt;epoch&gt;</c>, as upstream does, and when that name is taken too (two
/// saves in one second, or a leftover) to <c>&lt;file&gt;.&lt;epoch&gt;.1</c>, <c>.2</c>, ...
/// </summary>
internal static class CheckpointSetAside
{
    public const int MaxCandidates = 1000;

    public static IEnumerable<string> Candidates(string file, long epoch)
    {
        for (var n = 0; n < MaxCandidates; n++)
        {
            yield return n == 0 ? $"{file}.{epoch}" : $"{file}.{epoch}.{n}";
        }
    }

    public static string Move(string file, long epoch)
    {
        foreach (var candidate in Candidates(file, epoch).Where(name => !File.Exists(name) && !Directory.Exists(name)))
        {
            try
            {
                File.Move(file, candidate, overwrite: false);
                return candidate;
            }
            catch (IOException) when (File.Exists(candidate))
            {
                // taken between the check and the move: try the next name
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new OneKvmException($"Could not move the old checkpoint {file} aside to {candidate}: {e.Message.TrimEnd('.')}.", e);
            }
        }
        throw new OneKvmException($"Could not move the old checkpoint {file} aside: {MaxCandidates} names {file}.{epoch}[.N] are taken.");
    }
}
