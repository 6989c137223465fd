using System.Diagnostics;
using System.Globalization;
using OneKvm.Remotes.IntegrationSpecs.Infrastructure;
using Xunit;

namespace OneKvm.Remotes.IntegrationSpecs.Monitoring;

/// <summary>
/// The metric history vm_monitor keeps per VM (upstream's /var/tmp/one_db/&lt;id&gt;.db), read
/// back with the sqlite3 program, and the forecasts computed from it.
/// </summary>
public sealed class MonitorHistorySpecs : IDisposable
{
    private static readonly string[] Metrics = ["cpu", "memory", "netrx", "nettx", "diskrdbytes", "diskwrbytes", "diskrdiops", "diskwriops"];

    private static readonly string[] ForecastKeys =
        ["CPU", "MEMORY", "NETRX_BW", "NETTX_BW", "DISKRDBYTES_BW", "DISKWRBYTES_BW", "DISKRDIOPS_BW", "DISKWRIOPS_BW"];

    private const string NearForecastOnly = """
        virtualmachine:
          db_retention: 2 # weeks
          forecast:
              enabled: true
              period: 5
              lookback: 60
          forecast_far:
              enabled: false
              period: 2880
              lookback: 10080
        """;

    private readonly ProbeHost _probe = new(remotesCopy: true);

    [Fact]
    public async Task Each_poll_appends_the_reported_values_to_upstreams_tables_which_sqlite3_reads()
    {
        await using var set = new MonitoredDomains();
        var domain = await set.StartWithDevicesAsync();
        var id = MonitoredDomains.IdOf(domain);

        var first = await _probe.MonitorAsync();
        await Task.Delay(1100);
        var second = await _probe.MonitorAsync();

        ProtocolAssert.Succeeded(first);
        ProtocolAssert.Succeeded(second);
        var db = Path.Combine(_probe.MetricsDirectory, $"{id}.db");
        var tables = (await Sqlite(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Metrics.Select(m => $"virtualmachine_{id}_{m}_monitoring").Order(), tables);
        var columns = await Sqlite(db, $"SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || pk FROM pragma_table_info('virtualmachine_{id}_cpu_monitoring')");
        Assert.Equal("TIMESTAMP INTEGER 0 1\nVALUE REAL 1 0\n", columns);
        foreach (var (result, row) in new[] { (first, 0), (second, 1) })
        {
            var report = ProbeOutput.Monitor(result.Stdout).Single(r => r.Id == id);
            foreach (var metric in Metrics)
            {
                var rows = (await Sqlite(db, $"SELECT TIMESTAMP, VALUE FROM virtualmachine_{id}_{metric}_monitoring ORDER BY TIMESTAMP"))
                    .Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(2, rows.Length);
                var stored = double.Parse(rows[row].Split('|')[1], CultureInfo.InvariantCulture);
                Assert.Equal(report.Double(metric.ToUpperInvariant()), stored);
            }
        }
    }

    [Fact]
    public async Task Forecasts_appear_once_the_history_holds_five_samples_when_forecast_conf_enables_them()
    {
        _probe.WriteProbeConfig("forecast.conf", NearForecastOnly);
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);

        var reports = new List<MonitorReport>();
        for (var poll = 1; poll <= 5; poll++)
        {
            var result = await _probe.MonitorAsync();
            ProtocolAssert.Succeeded(result);
            reports.Add(ProbeOutput.Monitor(result.Stdout).Single(r => r.Id == id));
            await Task.Delay(1100);
        }

        Assert.All(reports.Take(4), r => Assert.DoesNotContain(r.Values.Keys, k => k.Contains("FORECAST", StringComparison.Ordinal)));
        Assert.Equal(ForecastKeys.Select(k => k + "_FORECAST"), reports[4].Values.Keys.Where(k => k.Contains("FORECAST", StringComparison.Ordinal)));
        // a diskless domain without NICs: no traffic, so no traffic is forecast
        Assert.All(ForecastKeys.Skip(2), k => Assert.Equal("0.0", reports[4].Values[k + "_FORECAST"]));
        Assert.InRange(reports[4].Double("CPU_FORECAST"), 0, 110);
        var memory = reports.Select(r => r.Double("MEMORY")).ToList();
        Assert.InRange(reports[4].Double("MEMORY_FORECAST"), memory.Min() * 0.5, memory.Max() * 1.5);
    }

    [Fact]
    public async Task Without_forecast_conf_the_history_is_kept_and_nothing_is_forecast()
    {
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        var db = Path.Combine(_probe.MetricsDirectory, $"{id}.db");
        await SeedAsync(db, id, samples: 10);

        var result = await _probe.MonitorAsync();

        ProtocolAssert.Succeeded(result);
        Assert.DoesNotContain(ProbeOutput.Monitor(result.Stdout).Single(r => r.Id == id).Values.Keys,
            k => k.Contains("FORECAST", StringComparison.Ordinal));
        Assert.Equal("11\n", await Sqlite(db, $"SELECT count(*) FROM virtualmachine_{id}_cpu_monitoring"));
    }

    [Fact]
    public async Task Rows_older_than_db_retention_go_at_the_next_write_also_in_files_upstream_created()
    {
        _probe.WriteProbeConfig("forecast.conf", NearForecastOnly);
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        var db = Path.Combine(_probe.MetricsDirectory, $"{id}.db");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Directory.CreateDirectory(_probe.MetricsDirectory);
        // upstream's table and trigger (the trigger's 'week' modifier makes its cut-off NULL: it never deletes)
        var table = $"virtualmachine_{id}_cpu_monitoring";
        await Sqlite(db, $"CREATE TABLE {table} (TIMESTAMP INTEGER PRIMARY KEY, VALUE REAL NOT NULL);" +
            $"CREATE TRIGGER delete_old_records_{table} AFTER INSERT ON {table} BEGIN DELETE FROM {table} WHERE TIMESTAMP < strftime('%s', 'now', '-2 week'); END;" +
            $"INSERT INTO {table} VALUES ({now - 15 * 86400}, 1), ({now - 13 * 86400}, 2);" +
            $"INSERT INTO {table} VALUES ({now - 60}, 3);");
        Assert.Equal("3\n", await Sqlite(db, $"SELECT count(*) FROM {table}"));

        ProtocolAssert.Succeeded(await _probe.MonitorAsync());

        Assert.Equal("2.0\n3.0\n", await Sqlite(db, $"SELECT VALUE FROM {table} WHERE TIMESTAMP < {now - 30} ORDER BY TIMESTAMP"));
    }

    [Fact]
    public async Task A_corrupt_or_locked_history_skips_only_that_vms_history_in_one_warning_line()
    {
        _probe.WriteProbeConfig("forecast.conf", NearForecastOnly);
        await using var set = new MonitoredDomains();
        var domains = await set.StartDisklessAsync(3);
        var (corrupt, locked, healthy) = (MonitoredDomains.IdOf(domains[0]), MonitoredDomains.IdOf(domains[1]), MonitoredDomains.IdOf(domains[2]));
        Directory.CreateDirectory(_probe.MetricsDirectory);
        File.WriteAllText(Path.Combine(_probe.MetricsDirectory, $"{corrupt}.db"), "SQLite format 3\0 but torn right here " + new string('x', 5000));
        var lockedDb = Path.Combine(_probe.MetricsDirectory, $"{locked}.db");
        await SeedAsync(lockedDb, locked, samples: 10);
        // another process (as prediction.py would) holds the file's write lock through the poll
        using var holder = Process.Start(new ProcessStartInfo("python3",
            ["-c", $"import sqlite3,sys,time\nc=sqlite3.connect('{lockedDb}',isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked',flush=True)\ntime.sleep(30)"])
        { RedirectStandardOutput = true })!;
        Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());

        var result = await _probe.MonitorAsync();
        holder.Kill();

        ProtocolAssert.Succeeded(result);
        var reports = ProbeOutput.Monitor(result.Stdout).ToDictionary(r => r.Id);
        Assert.All(new[] { corrupt, locked, healthy }, id => Assert.Equal(["CPU", "MEMORY", "NETRX", "NETTX", "DISKRDBYTES", "DISKWRBYTES", "DISKRDIOPS", "DISKWRIOPS"], reports[id].Values.Keys));
        var warning = Assert.Single(ProtocolAssert.LogLines(result, "WARN"));
        Assert.Contains($"{corrupt} (file is not a database)", warning);
        Assert.Contains($"{locked} (database is locked)", warning);
        Assert.DoesNotContain(healthy.ToString(CultureInfo.InvariantCulture), warning);
        Assert.Equal("1\n", await Sqlite(Path.Combine(_probe.MetricsDirectory, $"{healthy}.db"), $"SELECT count(*) FROM virtualmachine_{healthy}_cpu_monitoring"));
    }

    [Fact]
    public async Task A_full_disk_skips_the_history_and_the_poll_still_reports_every_vm()
    {
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        // a real full file system: a 64 KiB tmpfs (0755: a directory others can write is refused before the disk is), filled
        Directory.CreateDirectory(_probe.MetricsDirectory);
        await Checked("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "onekvm-test-full", _probe.MetricsDirectory);
        try
        {
            await ProcessRun.RunAsync("dd", ["if=/dev/zero", $"of={Path.Combine(_probe.MetricsDirectory, "filler")}", "bs=4k", "count=64"]);

            var result = await _probe.MonitorAsync();

            ProtocolAssert.Succeeded(result);
            Assert.Equal(8, ProbeOutput.Monitor(result.Stdout).Single(r => r.Id == id).Values.Count);
            Assert.Contains($"{id} (", Assert.Single(ProtocolAssert.LogLines(result, "WARN")));
        }
        finally
        {
            await Checked("umount", _probe.MetricsDirectory);
        }
    }

    [Fact]
    public async Task An_unreadable_forecast_conf_is_one_warning_and_upstreams_defaults()
    {
        _probe.WriteProbeConfig("forecast.conf", "virtualmachine:\n\tforecast: [\n");
        await using var set = new MonitoredDomains();
        var domain = (await set.StartDisklessAsync(1))[0];
        var id = MonitoredDomains.IdOf(domain);
        await SeedAsync(Path.Combine(_probe.MetricsDirectory, $"{id}.db"), id, samples: 10);

        var result = await _probe.MonitorAsync();

        ProtocolAssert.Succeeded(result);
        Assert.Contains("forecast.conf", Assert.Single(ProtocolAssert.LogLines(result, "WARN")));
        Assert.DoesNotContain(ProbeOutput.Monitor(result.Stdout).Single(r => r.Id == id).Values.Keys, k => k.Contains("FORECAST", StringComparison.Ordinal));
    }

    public void Dispose() => _probe.Dispose();

    /// <summary>A history of <paramref name="samples"/> polls 30 s apart ending a minute ago, written with the sqlite3 program.</summary>
    private static async Task SeedAsync(string db, int id, int samples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var sql = string.Concat(Metrics.Select(m =>
            $"CREATE TABLE virtualmachine_{id}_{m}_monitoring (TIMESTAMP INTEGER PRIMARY KEY, VALUE REAL NOT NULL);" +
            string.Concat(Enumerable.Range(0, samples).Select(i => $"INSERT INTO virtualmachine_{id}_{m}_monitoring VALUES ({now - 60 - 30 * (samples - i)}, {i});"))));
        await Sqlite(db, sql);
    }

    private static async Task<string> Sqlite(string db, string sql)
    {
        var result = await ProcessRun.RunAsync("sqlite3", [db, sql]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout;
    }

    private static async Task Checked(string program, params string[] args)
    {
        var result = await ProcessRun.RunAsync(program, args);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
