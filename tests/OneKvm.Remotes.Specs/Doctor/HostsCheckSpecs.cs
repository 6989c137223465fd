using OneKvm.Remotes.Doctor;
using Xunit;

namespace OneKvm.Remotes.Specs.Doctor;

/// <summary>doctor --hosts: a host's JSON report read back, and one version everywhere.</summary>
public sealed class HostsCheckSpecs
{
    [Fact]
    public void A_host_running_another_onekvm_version_than_the_front_end_is_a_fail_naming_it()
    {
        var finding = HostsCheck.CompareVersions("1.2.0", [("node1", "1.2.0"), ("node2", "1.1.0")]);

        Assert.Equal(Verdict.Fail, finding.Verdict);
        Assert.Contains("node2 has 1.1.0", finding.Message);
        Assert.DoesNotContain("node1", finding.Message);
        Assert.Equal("onehost sync --force", finding.Remedy);
    }

    [Fact]
    public void The_same_version_everywhere_is_ok()
    {
        Assert.Equal(Verdict.Ok, HostsCheck.CompareVersions("1.2.0", [("node1", "1.2.0"), ("node2", "1.2.0")]).Verdict);
    }

    [Fact]
    public void A_hosts_json_report_gives_back_its_version_and_findings_and_anything_else_is_no_report()
    {
        var report = HostsCheck.Parse("""
            {"host":"n1","version":"1.2.0","status":"WARN","checks":[
              {"area":"tree","status":"OK","message":"fine"},
              {"area":"kvmrc","status":"WARN","message":"line 3","remedy":"fix it"}]}
            """);

        Assert.NotNull(report);
        Assert.Equal("1.2.0", report.Value.Version);
        Assert.Equal([new Finding("tree", Verdict.Ok, "fine"), new Finding("kvmrc", Verdict.Warn, "line 3", "fix it")], report.Value.Findings);
        Assert.Null(HostsCheck.Parse("bash: /var/tmp/one/vmm/kvm/onekvm: No such file or directory"));
        Assert.Null(HostsCheck.Parse("{\"checks\":[]}"));
    }
}
