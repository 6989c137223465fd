using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Guest;
using OneKvm.Remotes.Lifecycle;
using OneKvm.Remotes.Monitoring;
using OneKvm.Remotes.RootHelpers;
using OneKvm.Remotes.Specs.Monitoring;
using Xunit;

namespace OneKvm.Remotes.Specs.Host;

/// <summary>
/// A FIFO, a link to /dev/zero or a huge file left where onekvm reads a pid file, a probe's
/// configuration, the monitor's saved configuration or vm.xml: the read is refused at once (a FIFO
/// would block open(2) until a writer came, /dev/zero never ends), in one sentence, or for an optional
/// configuration skipped with one WARN line and upstream's defaults. Each read runs on a worker with a
/// bound, so a read that blocks fails the spec instead of hanging the run.
/// </summary>
public sealed class PlantedFileSpecs : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly string _root = Directory.CreateTempSubdirectory("onekvm-t-planted-").FullName;
    private readonly List<string> _fifos = [];

    public enum Plant
    {
        Fifo,
        DevZero,
        Huge,
    }

    public static TheoryData<Plant> Plants => [Plant.Fifo, Plant.DevZero, Plant.Huge];

    /// <summary>What the refusal says of each plant.</summary>
    private static string Refusal(Plant plant) => plant switch
    {
        Plant.Fifo => "it is a FIFO, not a regular file",
        Plant.DevZero => "it is a character device, not a regular file",
        _ => "bytes, more than the",
    };

    private string PlantAt(string path, Plant plant, long hugeSize = Remotes.Host.RegularFile.Limit + 1L)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        switch (plant)
        {
            case Plant.Fifo:
                Assert.Equal(0, MakeFifo(path, 0x1b6));
                _fifos.Add(path);
                break;
            case Plant.DevZero:
                File.CreateSymbolicLink(path, "/dev/zero");
                break;
            default:
                using (var file = File.Create(path))
                {
                    // sparse: takes no disk
                    file.SetLength(hugeSize);
                }
                break;
        }
        return path;
    }

    /// <summary>The sentence names the file and says what it is.</summary>
    private static void AssertRefused(string opening, Plant plant, string? sentence)
    {
        Assert.StartsWith(opening, sentence);
        Assert.Contains(Refusal(plant), sentence, StringComparison.Ordinal);
    }

    private static Task<T> Bounded<T>(Func<T> read) => Task.Run(read).WaitAsync(Bound);

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task An_executions_pid_file_that_is_no_small_regular_file_is_reported_unreadable_at_once(Plant plant)
    {
        var files = new ExecutionFiles(Path.Combine(_root, "run"), (_, _) => Task.CompletedTask);
        PlantAt(files.PidFile(7), plant, ExecutionFiles.PidFileLimit + 1L);

        var (pid, unreadable) = await Bounded(() => (files.ReadPid(7, out var why), why));

        Assert.Null(pid);
        AssertRefused($"Could not read the execution's pid file {files.PidFile(7)}: ", plant, unreadable);
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task A_guestagent_conf_that_is_no_small_regular_file_gives_no_agent_keys_and_says_why(Plant plant)
    {
        var path = PlantAt(Path.Combine(_root, GuestAgentConfig.RelativePath), plant);

        var (config, problem) = await Bounded(() => GuestAgentConfig.Load(path));

        Assert.Null(config);
        AssertRefused($"Could not read the guest agent configuration {path}: ", plant, problem);
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task A_probe_configuration_that_is_no_small_regular_file_is_skipped_with_one_warning(Plant plant)
    {
        var path = PlantAt(ProbeConfigFile.PathOf(_root, "probe_db.conf"), plant);
        var log = new LineLogger();

        var yaml = await Bounded(() => ProbeConfigFile.Load(path, log));

        Assert.Same(ProbeYaml.Empty, yaml);
        var line = Assert.Single(log.Lines);
        AssertRefused($"Warning: Ignoring {path} (Could not read the probe configuration {path}: ", plant, line);
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task A_monitor_configuration_that_is_no_small_regular_file_leaves_the_30_s_interval_with_one_warning(Plant plant)
    {
        var metrics = Path.Combine(_root, "one_db");
        var path = PlantAt(Path.Combine(metrics, "config"), plant);
        var log = new LineLogger();

        var settings = await Bounded(() => ForecastSettings.Load(Path.Combine(_root, "remotes"), metrics, log));

        Assert.Equal(ForecastSettings.DefaultMonitorInterval, settings.MonitorIntervalSeconds);
        var line = Assert.Single(log.Lines);
        AssertRefused($"Warning: Ignoring {path} (Could not read the monitor configuration {path}: ", plant, line);
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task A_qemu_pid_file_that_is_no_small_regular_file_is_passed_over_for_the_proc_scan(Plant plant)
    {
        using var tree = new FakeProcTree();
        tree.Qemu(300, "one-1", "11111111-2222-4333-8444-555555555555", pidFile: false);
        PlantAt(Path.Combine(tree.PidDirectory, "one-1.pid"), plant, 4097);

        var found = await Bounded(() => new QemuProcessFinder(new ProcFs(tree.Proc), tree.PidDirectory).Find(["one-1"]));

        Assert.Equal(300, found["one-1"].Pid);
    }

    [Theory]
    [MemberData(nameof(Plants))]
    public async Task A_vm_xml_that_is_no_small_regular_file_is_refused_in_one_sentence_by_deploy(Plant plant)
    {
        var path = PlantAt(Path.Combine(_root, "datastores", "0", "7", "vm.xml"), plant, VgpuAction.VmFileLimit + 1L);

        var e = await Assert.ThrowsAsync<OneKvmException>(() => Bounded(() => VmHostDevices.ReadVmXml(path)));

        AssertRefused($"Could not read vm.xml {path}: ", plant, e.Message);
    }

    [Fact]
    public async Task A_vm_xml_that_is_a_fifo_is_refused_by_the_root_helpers_instead_of_waited_on()
    {
        var directory = Path.Combine(_root, "datastores", "0", "8");
        PlantAt(Path.Combine(directory, "vm.xml"), Plant.Fifo);

        var e = await Assert.ThrowsAsync<RefusedException>(() => Bounded(() =>
        {
            using var vm = NoFollowDirectory.TryOpen(directory)!;
            return vm.TryReadFile("vm.xml", VgpuAction.VmFileLimit);
        }));

        Assert.Equal($"{directory}/vm.xml is not a regular file", e.Message);
    }

    public void Dispose()
    {
        // a reader the old code left blocked in open(2) is let go, so no thread of the run stays stuck
        foreach (var fifo in _fifos)
        {
            var fd = Open(fifo, 0x1 | 0x800);
            if (fd >= 0)
            {
                _ = Close(fd);
            }
        }
        Directory.Delete(_root, recursive: true);
    }

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    /// <summary>Each log line as "Level: message".</summary>
    private sealed class LineLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}
