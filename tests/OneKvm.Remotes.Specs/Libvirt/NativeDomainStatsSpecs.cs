using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Libvirt;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.Specs.Infrastructure;
using OneKvm.Remotes.Virsh;
using Xunit;

namespace OneKvm.Remotes.Specs.Libvirt;

/// <summary>
/// When the probes read the statistics from libvirt's socket, and how they fall back to virsh:
/// against a fake daemon replaying libvirtd's captured answers, and daemons that misbehave.
/// </summary>
public sealed class NativeDomainStatsSpecs : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("onekvm-t-sock-").FullName;
    private readonly Dictionary<string, string> _settings = new(StringComparer.Ordinal);
    private readonly LogLines _log = new();

    public NativeDomainStatsSpecs() => _settings[NativeDomainStats.SocketDirectoryVariable] = _dir;

    private string Socket(string name = "libvirt-sock-ro") => Path.Combine(_dir, name);

    private NativeDomainStats Client(string uri = "qemu:///system", double deadlineSeconds = 5) =>
        new(uri, TimeSpan.FromSeconds(deadlineSeconds), TimeProvider.System, name => _settings.GetValueOrDefault(name), _log);

    private static byte[] CapturedReply => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", "libvirt-reply", "counters.bin"));

    /// <summary>libvirtd's answers: auth list [none] (or <paramref name="auth"/>), empty replies, the captured statistics.</summary>
    private static Func<FakeDaemon.Call, byte[]?> Libvirtd(uint auth = 0) => call => call.Procedure switch
    {
        66 => FakeDaemon.Reply(call, new XdrWriter().UInt32(1).UInt32(auth).ToArray()),
        70 => FakeDaemon.Reply(call, new XdrWriter().UInt32(1).ToArray()),
        RemoteClient.ProcConnectGetAllDomainStats => FakeDaemon.Reply(call, CapturedReply[28..]),
        _ => FakeDaemon.Reply(call, []),
    };

    [Theory]
    [InlineData("libvirt-sock-ro")]
    [InlineData("virtqemud-sock-ro")]
    public async Task A_daemon_answering_as_libvirtd_gives_the_records_virsh_would_print_from_the_calls_virsh_makes(string socket)
    {
        using var daemon = new FakeDaemon(Socket(socket), Libvirtd());

        var stats = await Client().TryReadAsync(counters: true, CancellationToken.None);

        var virsh = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fuzz-corpus", "domstats", "native-seed-counters.txt"));
        Assert.Equal(DomStatsOutput.Parse(virsh), stats);
        // virsh's sequence on this machine, less its keepalive and close-callback calls (60, 360, 361)
        Assert.Equal([66, 1, 344, 2], daemon.Calls.Select(c => c.Procedure));
        Assert.Equal([0u, 1u, 2u, 3u], daemon.Calls.Select(c => c.Serial));
        // CONNECT_OPEN "qemu:///system" read-only, then every active domain's state, NICs and disks, --nowait: as virsh sent them
        Assert.Equal(Convert.FromHexString("0000003820008086000000010000000100000000000000010000000000000001" +
            "0000000e71656d753a2f2f2f73797374656d000000000001"), daemon.Calls[1].Message);
        Assert.Equal(Convert.FromHexString("00000028200080860000000100000158000000000000000200000000000000000000003120000001"),
            daemon.Calls[2].Message);
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public async Task The_state_probe_asks_for_the_state_group_alone()
    {
        using var daemon = new FakeDaemon(Socket(), Libvirtd());

        await Client().TryReadAsync(counters: false, CancellationToken.None);

        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(daemon.Calls[2].Message.AsSpan(32)));
    }

    [Fact]
    public async Task A_daemon_asking_for_polkit_is_answered_as_libvirts_client_does()
    {
        using var daemon = new FakeDaemon(Socket(), Libvirtd(auth: 2));

        var stats = await Client().TryReadAsync(counters: true, CancellationToken.None);

        Assert.NotNull(stats);
        Assert.Equal([66, 70, 1, 344, 2], daemon.Calls.Select(c => c.Procedure));
    }

    [Fact]
    public async Task Without_a_daemon_socket_the_statistics_are_left_to_virsh_without_a_word()
    {
        Assert.Null(await Client().TryReadAsync(counters: true, CancellationToken.None));
        Assert.Empty(_log.Lines);
    }

    [Theory]
    [InlineData("qemu+ssh://elsewhere/system")]
    [InlineData("qemu:///system?socket=/run/libvirt/libvirt-sock")]
    [InlineData("qemu:///session")]
    public async Task Another_uri_is_left_to_virsh_and_the_socket_is_not_touched(string uri)
    {
        using var daemon = new FakeDaemon(Socket(), Libvirtd());

        Assert.Null(await Client(uri).TryReadAsync(counters: true, CancellationToken.None));
        Assert.Equal(0, daemon.Connections);
        Assert.Empty(_log.Lines);
    }

    [Fact]
    public async Task ONEKVM_LIBVIRT_CLIENT_virsh_leaves_the_socket_alone()
    {
        using var daemon = new FakeDaemon(Socket(), Libvirtd());
        _settings[NativeDomainStats.ClientVariable] = "virsh";

        Assert.Null(await Client().TryReadAsync(counters: true, CancellationToken.None));
        Assert.Equal(0, daemon.Connections);
    }

    private static readonly Dictionary<string, Func<FakeDaemon.Call, byte[]?>> Misbehaving = new()
    {
        { "text instead of XDR", _ => "HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray() },
        { "a 2 GiB message announced", _ => [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0] },
        { "SASL asked", call => FakeDaemon.Reply(call, new XdrWriter().UInt32(1).UInt32(1).ToArray()) },
        { "an error for the statistics", call => call.Procedure == 344
            ? FakeDaemon.Reply(call, new XdrWriter().UInt32(1).UInt32(10).UInt32(1).String("internal error").UInt32(2)
                .UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).UInt32(0).ToArray(), status: 1)
            : Libvirtd()(call) },
        { "4 billion domains in the reply", call => call.Procedure == 344
            ? FakeDaemon.Reply(call, new XdrWriter().UInt32(0xffffffff).ToArray()) : Libvirtd()(call) },
        { "a reply with another serial", call => FakeDaemon.Reply(call with { Serial = call.Serial + 1 }, []) },
    };

    public static TheoryData<string> Faults => [.. Misbehaving.Keys];

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task A_daemon_that_does_not_answer_as_libvirtd_leaves_the_statistics_to_virsh_with_one_debug_line(string fault)
    {
        using var daemon = new FakeDaemon(Socket(), Misbehaving[fault]);

        Assert.Null(await Client().TryReadAsync(counters: true, CancellationToken.None));
        var line = Assert.Single(_log.Lines);
        Assert.StartsWith($"Debug: Statistics read with virsh: {Socket()}: ", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_socket_path_too_long_for_a_unix_address_leaves_the_statistics_to_virsh()
    {
        var deep = Path.Combine(_dir, new string('d', 120));
        Directory.CreateDirectory(deep);
        File.WriteAllText(Path.Combine(deep, "libvirt-sock-ro"), "");
        _settings[NativeDomainStats.SocketDirectoryVariable] = deep;

        Assert.Null(await Client().TryReadAsync(counters: true, CancellationToken.None));
        Assert.StartsWith("Debug: Statistics read with virsh: ", Assert.Single(_log.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_daemon_that_never_answers_is_given_up_at_the_deadline()
    {
        using var daemon = new FakeDaemon(Socket(), _ => null);

        Assert.Null(await Client(deadlineSeconds: 0.3).TryReadAsync(counters: true, CancellationToken.None));
        Assert.Equal($"Debug: Statistics read with virsh: {Socket()}: the daemon did not answer in time", Assert.Single(_log.Lines));
    }

    [Fact]
    public async Task A_probe_whose_daemon_sends_garbage_reads_the_statistics_with_one_virsh_call()
    {
        using var daemon = new FakeDaemon(Socket(), _ => "garbage"u8.ToArray());
        using var fake = new FakeVirsh("echo");
        var host = new SpecHost { Virsh = VirshRunner.Default.WithExecutable(fake.Executable) };
        host.Environment[NativeDomainStats.SocketDirectoryVariable] = _dir;
        host.Environment[RuntimeDirectory.OverrideVariable] = _dir;

        var code = await host.RunAsync("/r/im/kvm-probes.d/vm/monitor/vm_monitor", "kvm", "3", "node1");

        Assert.Equal(0, code);
        Assert.Equal(1, daemon.Connections);
        Assert.Equal("domstats", Assert.Single(fake.Calls)[3]);
        Assert.Contains(host.LogLines, line => line.StartsWith("DEBUG: vm_monitor: Statistics read with virsh: ", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class LogLines : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Lines)
            {
                Lines.Add($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
