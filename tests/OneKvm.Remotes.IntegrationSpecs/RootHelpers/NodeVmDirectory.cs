namespace OneKvm.Remotes.IntegrationSpecs.RootHelpers;

/// <summary>
/// A directory in a made-up datastore of this node, /var/lib/one/datastores/0/&lt;test vm id&gt;
/// (a VM directory, the only kind vtpm_setup and vgpu accept), or with a suffix a directory
/// below that datastore (a virtiofs share). Removed, symlink or tree, at disposal.
/// </summary>
internal sealed class NodeVmDirectory : IDisposable
{
    public const string Datastores = "/var/lib/one/datastores";

    public NodeVmDirectory(string suffix = "")
    {
        Path = $"{Datastores}/0/{Infrastructure.TestNames.OneVmId()}{suffix}";
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (new FileInfo(Path).LinkTarget is not null)
        {
            File.Delete(Path);
        }
        else if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
