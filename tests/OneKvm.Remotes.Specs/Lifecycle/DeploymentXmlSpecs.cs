using System.Xml.Linq;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class DeploymentXmlSpecs : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("onekvm-t-links-").FullName;

    [Fact]
    public void Disk_links_of_file_disks_are_replaced_by_their_existing_targets_and_nothing_else_changes()
    {
        var image = Path.Combine(_directory, "image.qcow2");
        File.WriteAllText(image, "");
        File.CreateSymbolicLink(Path.Combine(_directory, "disk.0"), image);
        File.CreateSymbolicLink(Path.Combine(_directory, "disk.1"), "image.qcow2"); // relative
        File.CreateSymbolicLink(Path.Combine(_directory, "disk.2"), Path.Combine(_directory, "missing.qcow2"));
        File.CreateSymbolicLink(Path.Combine(_directory, "disk.3"), image); // but a cdrom
        File.CreateSymbolicLink(Path.Combine(_directory, "data.4"), image); // not disk.N
        var domain = XElement.Parse($"""
            <domain type='kvm'>
              <name>one-7</name>
              <devices>
                <disk type='file' device='disk'><source file='{_directory}/disk.0'/><target dev='vda'/></disk>
                <disk type='file' device='disk'><source file='{_directory}/disk.1'/><target dev='vdb'/></disk>
                <disk type='file' device='disk'><source file='{_directory}/disk.2'/><target dev='vdc'/></disk>
                <disk type='file' device='cdrom'><source file='{_directory}/disk.3'/><target dev='hda'/></disk>
                <disk type='file' device='disk'><source file='{_directory}/data.4'/><target dev='vdd'/></disk>
                <disk type='block' device='disk'><source dev='/dev/sdz'/><target dev='vde'/></disk>
                <disk type='network' device='disk'><source protocol='rbd' name='one/one-0-7-0'/><target dev='vdf'/></disk>
              </devices>
            </domain>
            """);

        var changed = DeploymentXml.ResolveDiskLinks(domain);

        Assert.Equal(2, changed);
        Golden.VerifyText(domain.ToString().Replace(_directory, "$DIR", StringComparison.Ordinal) + "\n", "xml");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
