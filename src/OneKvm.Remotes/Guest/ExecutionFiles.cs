namespace OneKvm.Remotes.Guest;

/// <summary>
/// Where upstream keeps a running execution: the agent's pid of VM N in
/// /var/run/one/one-N, every change under an exclusive flock(2) of
/// /var/run/one/.exec-lock (the same lock upstream's Ruby takes, so both can run side
/// by side). ONEKVM_EXEC_DIR moves the directory (tests).
/// </summary>
internal sealed class ExecutionFiles(string directory, Func<TimeSpan, CancellationToken, Task> sleep)
{
    public const string OverrideVariable = "ONEKVM_EXEC_DIR";
    public const string LockName = ".exec-lock";

    /// <summary>A pid and a newline take a few bytes; anything past this is not a pid file.</summary>
    public const int PidFileLimit = 4096;

    public string Directory { get; } = directory;

    public static ExecutionFiles For(Func<string, string?> environment, Func<TimeSpan, CancellationToken, Task> sleep) =>
        new(environment(OverrideVariable) is { Length: > 0 } configured ? configured : "/var/run/one", sleep);

    public string PidFile(int vmId) => Path.Combine(Directory, "one-" + vmId.ToString(CultureInfo.InvariantCulture));

    /// <summary>The pid in VM <paramref name="vmId"/>'s file; null when there is no file or it is empty.</summary>
    public long? ReadPid(int vmId, out string? unreadable)
    {
        unreadable = null;
        var path = PidFile(vmId);
        string? text;
        try
        {
            // a FIFO or a link to /dev/zero planted here is refused, never waited on or read without end
            text = Host.RegularFile.TryReadText(path, "the execution's pid file", PidFileLimit)?.Trim();
        }
        catch (OneKvmException e)
        {
            unreadable = e.Message.TrimEnd('.');
            return null;
        }
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            unreadable = $"{path} holds \"{text}\", not a pid";
            return null;
        }
        return pid;
    }

    /// <summary>Written whole and renamed into place: a link planted under the name is replaced, not written through.</summary>
    public void WritePid(int vmId, long pid) =>
        Host.AtomicFile.WriteAllText(PidFile(vmId), pid.ToString(CultureInfo.InvariantCulture));

    public void Remove(int vmId) => File.Delete(PidFile(vmId));

    public IReadOnlyList<int> VmIds() =>
        System.IO.Directory.Exists(Directory)
            ? [.. System.IO.Directory.EnumerateFiles(Directory, "one-*")
                .Select(file => int.TryParse(Path.GetFileName(file).AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture,
                    out var id) ? id : (int?)null)
                .OfType<int>().Order()]
            : [];

    /// <summary>
    /// Takes the lock, waiting at most <paramref name="wait"/>; dispose the result to release it.
    /// .NET takes flock(LOCK_EX|LOCK_NB) for FileShare.None, so a busy lock is retried.
    /// </summary>
    public async Task<IDisposable> LockAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            Host.TrustedPath.Check(Directory);
            System.IO.Directory.CreateDirectory(Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OneKvmException($"Could not create {Directory} for the executions' pid files: {e.Message}");
        }
        var path = Path.Combine(Directory, LockName);
        var waited = TimeSpan.Zero;
        var step = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (UnauthorizedAccessException e)
            {
                throw new OneKvmException($"Could not open the lock {path}: {e.Message}");
            }
            catch (IOException) when (waited < wait)
            {
                await sleep(step, cancellationToken).ConfigureAwait(false);
                waited += step;
            }
            catch (IOException e)
            {
                throw new OneKvmException($"Another exec, exec_cancel or execution probe has held {path} for {wait.TotalSeconds:0} s ({e.Message}).");
            }
        }
    }
}
