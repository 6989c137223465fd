using OneKvm.Remotes.Lifecycle;
using Xunit;
using OneKvm.Remotes.Checkpoints;
using OneKvm.Remotes.Host;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class CheckpointPathSpecs
{
    [Theory]
    [InlineData("/var/lib/one//datastores/0/7/checkpoint", "/var/lib/one//datastores/0/7")]
    [InlineData("/var/lib/one//datastores/0", "/var/lib/one//datastores")]
    [InlineData("/var/lib/one//datastores", "/var/lib/one")]
    [InlineData("/a/b/", "/a")]
    [InlineData("/a", "/")]
    [InlineData("/", "/")]
    [InlineData("file", ".")]
    [InlineData("", ".")]
    public void Dirname_keeps_a_double_slash_inside_the_path_as_coreutils_does(string path, string expected) =>
        Assert.Equal(expected, PosixPath.Dirname(path));

    [Theory]
    [InlineData("/var/lib/one//datastores/0/7/checkpoint", "checkpoint")]
    [InlineData("/var/lib/one//datastores/0/", "0")]
    [InlineData("/", "/")]
    public void Basename_is_the_last_component(string path, string expected) =>
        Assert.Equal(expected, PosixPath.Basename(path));

    [Fact]
    public void A_checkpoint_path_names_its_vm_directory_datastore_and_datastores_directory()
    {
        var location = CheckpointLocation.Of("/var/lib/one//datastores/104/7/checkpoint");

        Assert.Equal("/var/lib/one//datastores/104/7", location.VmDirectory);
        Assert.Equal("104", location.DatastoreId);
        Assert.Equal("/var/lib/one//datastores", location.DatastoresDirectory);
        Assert.True(location.IsInDatastoreLayout);
    }

    [Theory]
    [InlineData("/checkpoint")]
    [InlineData("/tmp/x/checkpoint")]
    [InlineData("checkpoint")]
    public void A_checkpoint_outside_the_datastore_layout_is_recognised(string path) =>
        Assert.False(CheckpointLocation.Of(path).IsInDatastoreLayout);
}
