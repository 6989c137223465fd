namespace OneKvm.Remotes.Dispatch;

/// <summary>
/// The files every entry of the action table puts in the remotes tree. Entries are
/// small bash stubs that exec the one binary with argv[0] kept: `onehost sync` runs
/// rsync -L, which would turn symlinks into one full copy of the binary per action.
/// </summary>
internal static class RemotesLayout
{
    public static IEnumerable<ActionEntry> StubEntries => ActionTable.All.Where(e => e.Kind != EntryKind.Tool);

    public static string RelativeBinaryPath(ActionEntry entry)
    {
        var relative = Path.GetRelativePath("/r/" + entry.RemotesDirectory, "/r/" + ActionTable.Tool.RemotesDirectory);
        return relative == "." ? ActionTable.BinaryName : $"{relative}/{ActionTable.BinaryName}";
    }

    public static string StubFor(ActionEntry entry) =>
        $$"""
        #!/bin/bash
        # OneKvm.Remotes entry '{{entry.Name}}': runs the onekvm binary under this name.
        # A stub, not a symlink: onehost sync copies symlinks as whole files.
        exec -a "$0" "${0%/*}/{{RelativeBinaryPath(entry)}}" "$@"

        """;

    /// <summary>Writes every stub under <paramref name="root"/> (executable), as build.sh stages them.</summary>
    public static void Write(string root)
    {
        foreach (var entry in StubEntries)
        {
            var path = Path.Combine(root, entry.RemotesPath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, StubFor(entry));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }
}
