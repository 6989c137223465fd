using SQLitePCL;

namespace OneKvm.Remotes.Monitoring;

/// <summary>An SQLite error with its result code (SQLITE_BUSY, SQLITE_CORRUPT, SQLITE_FULL...) and SQLite's message.</summary>
internal sealed class SqliteFailure(int code, string message) : Exception(message)
{
    /// <summary>The primary result code (the low byte of an extended one).</summary>
    public int Primary => code & 0xff;
}

/// <summary>
/// One SQLite database through SQLitePCLRaw's raw API: the few calls the metric history
/// needs, each failure an <see cref="SqliteFailure"/>. SQLite itself is linked into the
/// binary (see OneKvm.Remotes.csproj).
/// </summary>
internal sealed class SqliteFile(sqlite3 db) : IDisposable
{
    static SqliteFile() => raw.SetProvider(new SQLite3Provider_sqlite3());

    /// <param name="busyTimeout">How long to wait for a lock another process holds before SQLITE_BUSY.</param>
    public static SqliteFile Open(string path, TimeSpan busyTimeout)
    {
        var rc = raw.sqlite3_open_v2(path, out var db, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (rc != raw.SQLITE_OK)
        {
            var message = db is null ? raw.sqlite3_errstr(rc).utf8_to_string() : raw.sqlite3_errmsg(db).utf8_to_string();
            db?.Dispose();
            throw new SqliteFailure(rc, message);
        }
        raw.sqlite3_extended_result_codes(db, 1);
        raw.sqlite3_busy_timeout(db, (int)busyTimeout.TotalMilliseconds);
        return new SqliteFile(db);
    }

    public void Execute(string sql) => Check(raw.sqlite3_exec(db, sql));

    public Statement Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v2(db, sql, out var statement));
        return new Statement(this, statement);
    }

    public void Dispose() => db.Dispose();

    private void Check(int rc)
    {
        if (rc is not (raw.SQLITE_OK or raw.SQLITE_ROW or raw.SQLITE_DONE))
        {
            throw new SqliteFailure(rc, raw.sqlite3_errmsg(db).utf8_to_string());
        }
    }

    /// <summary>A prepared statement: bind, step, read columns, reset for the next row.</summary>
    internal sealed class Statement(SqliteFile file, sqlite3_stmt statement) : IDisposable
    {
        public Statement Bind(int index, long value)
        {
            file.Check(raw.sqlite3_bind_int64(statement, index, value));
            return this;
        }

        public Statement Bind(int index, double value)
        {
            file.Check(raw.sqlite3_bind_double(statement, index, value));
            return this;
        }

        /// <summary>Runs the statement to its end (or its first row); true when it returned a row.</summary>
        public bool Step()
        {
            var rc = raw.sqlite3_step(statement);
            file.Check(rc);
            return rc == raw.SQLITE_ROW;
        }

        public long Int64(int column) => raw.sqlite3_column_int64(statement, column);

        public double Double(int column) => raw.sqlite3_column_double(statement, column);

        public string Text(int column) => raw.sqlite3_column_text(statement, column).utf8_to_string();

        /// <summary>True when the column holds a number (history written by others may hold text).</summary>
        public bool IsNumber(int column) => raw.sqlite3_column_type(statement, column) is raw.SQLITE_INTEGER or raw.SQLITE_FLOAT;

        public void Dispose() => statement.Dispose();
    }
}
