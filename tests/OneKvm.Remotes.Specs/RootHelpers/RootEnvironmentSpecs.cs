using OneKvm.Remotes.Dispatch;
using OneKvm.Remotes.Driver;
using OneKvm.Remotes.RootHelpers;
using OneKvm.Remotes.Specs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.Specs.RootHelpers;

/// <summary>A root helper runs with none of its caller's environment, however it is called.</summary>
public sealed class RootEnvironmentSpecs
{
    [Theory]
    [InlineData("/var/tmp/one/vtpm_setup")]
    [InlineData("/var/tmp/one/vmm/kvm/onekvm", "vtpm_setup")]
    [InlineData("/var/tmp/one/vgpu")]
    public async Task A_root_helper_empties_the_process_environment_before_anything_else(string invokedAs, params string[] args)
    {
        var scrubbed = 0;
        var host = new SpecHost() { Environment = { ["ONEKVM_KVMRC"] = "/tmp/planted-kvmrc" } }.Build() with { ScrubProcessEnvironment = () => scrubbed++ };

        await Dispatcher.RunAsync(invokedAs, [.. args, "recover", "not-a-uuid", "/x"], host, CancellationToken.None);

        Assert.Equal(1, scrubbed);
    }

    [Fact]
    public async Task A_driver_action_keeps_its_environment()
    {
        var scrubbed = 0;
        var host = new SpecHost().Build() with { ScrubProcessEnvironment = () => scrubbed++ };

        await Dispatcher.RunAsync("/var/tmp/one/vmm/kvm/reboot", ["--help"], host, CancellationToken.None);

        Assert.Equal(0, scrubbed);
    }

    [Fact]
    public void What_a_root_helper_sees_is_a_fixed_path_and_the_c_locale_only()
    {
        Assert.Equal("/usr/sbin:/usr/bin:/sbin:/bin", RootEnvironment.Lookup("PATH"));
        Assert.Equal("C", RootEnvironment.Lookup("LANG"));
        Assert.Null(RootEnvironment.Lookup("ONEKVM_KVMRC"));
        Assert.Null(RootEnvironment.Lookup("LD_PRELOAD"));
        Assert.Equal(["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "LC_ALL=C"], RootEnvironment.Block());
    }
}
