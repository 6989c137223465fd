namespace OneKvm.Remotes.Monitoring;

/// <summary>One value of a VM's history: Unix seconds and the value.</summary>
internal readonly record struct MetricPoint(long Timestamp, double Value);

/// <summary>
/// The per-VM metric history upstream's monitor probe keeps for OpenNebula's forecasts
/// (and any tool reading it): <c>/var/tmp/one_db/&lt;vm id&gt;.db</c>, one table per metric,
/// <c>virtualmachine_&lt;id&gt;_&lt;metric&gt;_monitoring (TIMESTAMP INTEGER PRIMARY KEY,
/// VALUE REAL NOT NULL)</c>, the metric named as the monitor key in lower case without
/// underscores, one row per poll. Rows older than forecast.conf's db_retention go at each
/// write (upstream's trigger for that uses a 'week' date modifier SQLite does not know, so it
/// never deletes anything; this also prunes files upstream created).
/// </summary>
internal sealed class MetricHistory(string directory, double retentionWeeks)
{
    public const string DefaultDirectory = "/var/tmp/one_db";

    /// <summary>Another directory, for tests and trial runs.</summary>
    public const string DirectoryVariable = "ONEKVM_METRICS_DIR";

    /// <summary>A lock another process holds (a reader computing forecasts) is waited for this long, then the VM is skipped.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromMilliseconds(100);

    /// <summary>The metrics vm_monitor records, by their monitor key.</summary>
    public static readonly string[] Keys = ["CPU", "MEMORY", "NETRX", "NETTX", "DISKRDBYTES", "DISKWRBYTES", "DISKRDIOPS", "DISKWRIOPS"];

    public static string DirectoryFrom(Func<string, string?> environment) =>
        environment(DirectoryVariable) is { Length: > 0 } configured ? configured : DefaultDirectory;

    public string PathOf(int vmId) => Path.Combine(directory, vmId.ToString(CultureInfo.InvariantCulture) + ".db");

    public static string Table(int vmId, string key) =>
        $"virtualmachine_{vmId.ToString(CultureInfo.InvariantCulture)}_{key.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant()}_monitoring";

    /// <summary>
    /// Appends this poll's values to the VM's history in one transaction and returns, for
    /// each key in <paramref name="read"/>, its points since <paramref name="readSince"/>
    /// (oldest first). Throws <see cref="SqliteFailure"/>, IOException or
    /// UnauthorizedAccessException when the file cannot be used.
    /// </summary>
    public Dictionary<string, List<MetricPoint>> Record(int vmId, long timestamp, IReadOnlyList<(string Key, double Value)> values,
        IReadOnlyCollection<string> read, long readSince)
    {
        // /var/tmp is everyone's: /var/tmp/one_db planted as a link or a directory of another user is not used
        Host.TrustedPath.Check(directory);
        Directory.CreateDirectory(directory);
        Host.TrustedPath.CheckOwnDirectory(directory);
        using var db = SqliteFile.Open(PathOf(vmId), BusyTimeout);
        // history, not records: a power cut may lose the last polls, never a whole file to a torn journal
        // (rollback journal kept, as upstream's files have it, so every reader opens them as before)
        db.Execute("PRAGMA synchronous=OFF");
        db.Execute("BEGIN IMMEDIATE");
        var oldest = timestamp - (long)(retentionWeeks * 7 * 86_400);
        var prune = PruneDue(db, timestamp);
        var tables = Tables(db);
        foreach (var (key, value) in values)
        {
            var table = Table(vmId, key);
            if (!tables.Contains(table))
            {
                db.Execute($"CREATE TABLE IF NOT EXISTS {table} (TIMESTAMP INTEGER PRIMARY KEY, VALUE REAL NOT NULL)");
            }
            // two polls in one second: the first one's row stays, as upstream's insert keeps it
            using (var insert = db.Prepare($"INSERT OR IGNORE INTO {table} (TIMESTAMP, VALUE) VALUES (?, ?)"))
            {
                insert.Bind(1, timestamp).Bind(2, value).Step();
            }
            if (prune)
            {
                using var delete = db.Prepare($"DELETE FROM {table} WHERE TIMESTAMP < ?");
                delete.Bind(1, oldest).Step();
            }
        }
        if (prune)
        {
            db.Execute($"PRAGMA user_version = {timestamp / 3600}");
        }
        var series = new Dictionary<string, List<MetricPoint>>(StringComparer.Ordinal);
        foreach (var key in read)
        {
            series[key] = ReadSeries(db, Table(vmId, key), readSince);
        }
        db.Execute("COMMIT");
        return series;
    }

    /// <summary>
    /// Whether this write also deletes what is past the retention: at the first write of each
    /// hour (the file's user_version, a header field upstream leaves at 0, holds the hour of the
    /// last pruning, so a file upstream wrote is pruned at its first write here), and always for
    /// a retention under a day. Each statement less per poll counts at a hundred VMs; a row
    /// lives at most an hour past its retention.
    /// </summary>
    private bool PruneDue(SqliteFile db, long timestamp)
    {
        using var version = db.Prepare("PRAGMA user_version");
        return retentionWeeks * 7 < 1 || !version.Step() || version.Int64(0) != timestamp / 3600;
    }

    private static HashSet<string> Tables(SqliteFile db)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var select = db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
        while (select.Step())
        {
            names.Add(select.Text(0));
        }
        return names;
    }

    private static List<MetricPoint> ReadSeries(SqliteFile db, string table, long since)
    {
        var points = new List<MetricPoint>();
        try
        {
            using var select = db.Prepare($"SELECT TIMESTAMP, VALUE FROM {table} WHERE TIMESTAMP >= ? ORDER BY TIMESTAMP");
            select.Bind(1, since);
            while (select.Step())
            {
                if (select.IsNumber(1))
                {
                    points.Add(new MetricPoint(select.Int64(0), select.Double(1)));
                }
            }
        }
        catch (SqliteFailure e) when (e.Primary == 1)
        {
            // SQLITE_ERROR: no such table (a metric this poll did not have): no history
        }
        return points;
    }
}
