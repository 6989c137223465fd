namespace OneKvm.Remotes.TestDocuments;

/// <summary>
/// The repository the specs run from, and the upstream documents copied into
/// tests/reference (see its README for where each comes from): a clone of this
/// repository alone has everything its specs read.
/// </summary>
public static class ReferenceDocuments
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The path of <paramref name="file"/> in tests/reference; a missing one fails the spec that wants it.</summary>
    public static string Path(string file)
    {
        var path = System.IO.Path.Combine(RepositoryRoot, "tests", "reference", file);
        return File.Exists(path) ? path : throw new FileNotFoundException($"the reference document {path} is missing (tests/reference/README.md lists them)", path);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "OneKvm.Remotes.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("cannot find the repository root (OneKvm.Remotes.sln) above " + AppContext.BaseDirectory);
    }
}
