using OneKvm.Remotes.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Monitoring;

public sealed class QemuProcessFinderSpecs : IDisposable
{
    private const string Uuid1 = "11111111-2222-4333-8444-555555555555";
    private const string Uuid2 = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    private readonly FakeProcTree _tree = new();

    private QemuProcessFinder Finder => new(new ProcFs(_tree.Proc), _tree.PidDirectory);

    [Fact]
    public void A_domain_is_found_through_its_pid_file_with_the_uuid_from_its_command_line()
    {
        _tree.Qemu(300, "one-1", Uuid1);

        Assert.Equal(new QemuProcess("one-1", Uuid1, 300), Finder.Find(["one-1"])["one-1"]);
    }

    [Fact]
    public void Without_a_pid_file_the_process_is_found_by_its_name_among_all_processes()
    {
        _tree.Process(1, ["/sbin/init"]);
        _tree.Process(2, []);
        _tree.Qemu(400, "one-2", Uuid2, pidFile: false);

        Assert.Equal(400, Finder.Find(["one-2"])["one-2"].Pid);
    }

    [Fact]
    public void A_stale_pid_file_naming_another_process_is_not_believed()
    {
        _tree.Qemu(500, "one-1", Uuid1);
        _tree.Qemu(501, "one-2", Uuid2, pidFile: false);
        // one-2's pid file still names the pid one-1 now has
        File.WriteAllText(Path.Combine(_tree.PidDirectory, "one-2.pid"), "500");

        var found = Finder.Find(["one-1", "one-2"]);

        Assert.Equal(500, found["one-1"].Pid);
        Assert.Equal(501, found["one-2"].Pid);
        Assert.Equal(Uuid2, found["one-2"].Uuid);
    }

    [Fact]
    public void A_domain_without_a_process_here_is_left_out()
    {
        File.WriteAllText(Path.Combine(_tree.PidDirectory, "one-3.pid"), "600");

        Assert.Empty(Finder.Find(["one-3"]));
    }

    [Theory]
    [InlineData("qemu -name guest=one-5,debug-threads=on -uuid " + Uuid1, "one-5")]
    [InlineData("qemu -uuid " + Uuid1 + " -name one-5", "one-5")]
    [InlineData("qemu -name guest=a,,b,debug-threads=on -uuid " + Uuid1, "a,b")]
    public void The_command_line_names_the_domain(string arguments, string name) =>
        Assert.Equal((name, Uuid1), QemuCommandLine.Identify(arguments.Split(' ')));

    [Theory]
    [InlineData("qemu -name guest=one-5")]
    [InlineData("qemu -uuid " + Uuid1)]
    [InlineData("qemu -name guest=one-5 -uuid not-a-uuid")]
    [InlineData("qemu -name guest=one-5 -uuid")]
    public void A_command_line_without_a_name_and_a_valid_uuid_is_not_a_libvirt_domain(string arguments) =>
        Assert.Null(QemuCommandLine.Identify(arguments.Split(' ')));

    [Fact]
    public void Uuids_are_reported_in_lower_case_as_libvirt_prints_them() =>
        Assert.Equal(Uuid2, QemuCommandLine.Identify(["q", "-name", "x", "-uuid", Uuid2.ToUpperInvariant()])?.Uuid);

    public void Dispose() => _tree.Dispose();
}
