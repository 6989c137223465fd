using OneKvm.Remotes.Lifecycle;
using Xunit;
using OneKvm.Remotes.Host;

namespace OneKvm.Remotes.Specs.Lifecycle;

public sealed class DatastoreHookSpecs
{
    [Theory]
    [InlineData("ceph", true)]
    [InlineData("fs_lvm_ssh", true)]
    [InlineData("my-tm.v2", true)]
    [InlineData("../../../bin/sh", false)]
    [InlineData("/bin/sh", false)]
    [InlineData(".hidden", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void Only_a_plain_tm_mad_can_name_a_hook(string tmMad, bool plain) =>
        Assert.Equal(plain, DatastoreHook.IsPlainName(tmMad));
}
