namespace OneKvm.Remotes.Kvmrc;

/// <summary>
/// The driver's settings: kvmrc assignments over the environment over upstream's
/// defaults, interpreted when read. A value upstream's scripts take is taken here too,
/// the way they take it, with one <see cref="SettingNote"/> (a WARN line) when that is
/// not what it reads as: FORCE_DESTROY=true is "no" (bash compares with "yes"), a
/// timeout that is not a number is upstream's default. Only a value that could do harm
/// (a negative timeout) is refused, and then only by the actions that read it.
/// </summary>
/// <param name="note">Told once per parameter when a value is taken other than it reads.</param>
internal sealed class KvmSettings(KvmrcDocument document, Func<string, string?> environment, Action<SettingNote>? note = null)
{
    /// <summary>The longest wait a .NET timer takes (int.MaxValue ms), about 24.8 days.</summary>
    public const int MaxSeconds = int.MaxValue / 1000;

    internal static readonly string[] CacheModes = ["default", "none", "writethrough", "writeback", "directsync", "unsafe"];
    internal static readonly string[] DiscardModes = ["ignore", "unmap"];
    internal static readonly string[] IoModes = ["native", "threads", "io_uring", "default"];

    private readonly HashSet<string> _noted = new(StringComparer.Ordinal);

    public KvmrcDocument Document { get; } = document;

    public string LibvirtUri => Text(KvmrcParameters.LibvirtUri)!;

    public string QemuProtocol => Text(KvmrcParameters.QemuProtocol)!;

    public TimeSpan ShutdownTimeout => TimeSpan.FromSeconds(Seconds(KvmrcParameters.ShutdownTimeout, min: 0));

    /// <summary>Total attempts of a retried virsh call (upstream: VIRSH_RETRIES tries, not re-tries).</summary>
    public int VirshAttempts => Math.Max(1, Count(KvmrcParameters.VirshRetries));

    public TimeSpan VirshTimeout => TimeSpan.FromSeconds(Seconds(KvmrcParameters.VirshTimeout, min: 1));

    /// <summary>As upstream's bash actions (restore, migrate_local) read it: "yes" exactly.</summary>
    public bool SyncTime => YesNo(KvmrcParameters.SyncTime);

    /// <summary>As upstream's Ruby migrate reads it: "yes" in any case (YES, Yes).</summary>
    public bool SyncTimeAfterMigrate => YesNo(KvmrcParameters.SyncTime, StringComparison.OrdinalIgnoreCase);

    public bool ForceDestroy => YesNo(KvmrcParameters.ForceDestroy);

    public bool CancelNoAcpi => YesNo(KvmrcParameters.CancelNoAcpi);

    public IReadOnlyList<string> MigrateOptions => Words(KvmrcParameters.MigrateOptions);

    public bool CleanupMemoryOnStart => YesNo(KvmrcParameters.CleanupMemoryOnStart);

    public bool CleanupMemoryOnStop => YesNo(KvmrcParameters.CleanupMemoryOnStop);

    public string LibvirtMetadataUri => Text(KvmrcParameters.LibvirtMdUri)!;

    public string LibvirtMetadataKey => Text(KvmrcParameters.LibvirtMdKey)!;

    public string? OvmfNvram => Text(KvmrcParameters.OvmfNvram);

    public IReadOnlyList<string> VirtiofsdBinaryPaths => Words(KvmrcParameters.VirtiofsdBinaryPath);

    public string? DefaultAttachCache => OneOf(KvmrcParameters.DefaultAttachCache, CacheModes);

    public string? DefaultAttachDiscard => OneOf(KvmrcParameters.DefaultAttachDiscard, DiscardModes);

    public string? DefaultAttachIo => OneOf(KvmrcParameters.DefaultAttachIo, IoModes);

    /// <summary>A queue count, "auto" (one per VCPU) or null.</summary>
    public string? DefaultAttachVirtioBlkQueues => Get(KvmrcParameters.DefaultAttachVirtioBlkQueues) switch
    {
        { IsSet: false } => null,
        { Text: "auto" } => "auto",
        // upstream writes queues='0' as it is, and libvirt takes it
        _ => Integer(KvmrcParameters.DefaultAttachVirtioBlkQueues, min: 0).ToString(CultureInfo.InvariantCulture),
    };

    public int? DefaultAttachVirtioBlkIothread =>
        Get(KvmrcParameters.DefaultAttachVirtioBlkIothread).IsSet
            ? Integer(KvmrcParameters.DefaultAttachVirtioBlkIothread, min: 0)
            : null;

    public string? DefaultAttachNicModel => Text(KvmrcParameters.DefaultAttachNicModel);

    public string? DefaultAttachNicFilter => Text(KvmrcParameters.DefaultAttachNicFilter);

    /// <summary>The kvmrc default of one iotune attribute (e.g. "TOTAL_BYTES_SEC"), or null.</summary>
    public long? DefaultAttachIoTune(string attribute) =>
        Get("DEFAULT_ATTACH_" + attribute).IsSet ? Long("DEFAULT_ATTACH_" + attribute) : null;

    /// <summary>Variables the kvmrc exports, which reach virsh's environment as they would after `source`.</summary>
    public IEnumerable<KeyValuePair<string, string>> ExportedVariables =>
        Document.Effective.Values
            .Where(a => a.Exported)
            .Select(a => new KeyValuePair<string, string>(a.Name, a.Value));

    public SettingValue Get(string name)
    {
        if (Document.Effective.TryGetValue(name, out var assignment))
        {
            return new SettingValue(name, assignment.Value, $"{Document.Path}:{assignment.Line}");
        }
        return environment(name) is { } env
            ? new SettingValue(name, env, "environment")
            : new SettingValue(name, KvmrcParameters.Get(name).Default, "default");
    }

    /// <summary>onekvm's own variables (no default): a kvmrc assignment first, then the environment.</summary>
    public string? Assigned(string name) =>
        Document.Effective.TryGetValue(name, out var assignment) ? assignment.Value : environment(name);

    /// <summary>Reads a parameter as the actions do (notes included); throws <see cref="KvmrcException"/> when refused.</summary>
    public void Validate(KvmrcParameter parameter)
    {
        _ = parameter.Kind switch
        {
            ParameterKind.Text or ParameterKind.Words => Get(parameter.Name).Text,
            ParameterKind.Seconds => Seconds(parameter.Name, min: parameter.Name == KvmrcParameters.VirshTimeout ? 1 : 0).ToString(CultureInfo.InvariantCulture),
            ParameterKind.Count => Count(parameter.Name).ToString(CultureInfo.InvariantCulture),
            ParameterKind.YesNo => YesNo(parameter.Name) ? "yes" : "no",
            ParameterKind.DiskCache => OneOf(parameter.Name, CacheModes),
            ParameterKind.DiskDiscard => OneOf(parameter.Name, DiscardModes),
            ParameterKind.DiskIo => OneOf(parameter.Name, IoModes),
            ParameterKind.IoTune => Get(parameter.Name).IsSet ? Long(parameter.Name).ToString(CultureInfo.InvariantCulture) : null,
            ParameterKind.QueuesOrAuto => DefaultAttachVirtioBlkQueues,
            ParameterKind.IoThread => DefaultAttachVirtioBlkIothread?.ToString(CultureInfo.InvariantCulture),
            _ => throw new ArgumentOutOfRangeException(nameof(parameter)),
        };
    }

    private string? Text(string name)
    {
        var value = Get(name);
        return value.IsSet ? value.Text : KvmrcParameters.Get(name).Default;
    }

    private IReadOnlyList<string> Words(string name) =>
        (Get(name).Text ?? "").Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>
    /// A number of seconds. Upstream reads SHUTDOWN_TIMEOUT with bash arithmetic and test(1),
    /// where a word is 0 or an error and the wait ends at once (VIRSH_TIMEOUT only reaches
    /// coreutils' timeout, which refuses a word): what is not a whole number is taken as
    /// the default, which is what the operator had before the typo. A negative number is
    /// refused; one below <paramref name="min"/> (VIRSH_TIMEOUT=0, which would kill every
    /// call at once) is the default; one above a timer's reach is that reach.
    /// </summary>
    private int Seconds(string name, int min)
    {
        var value = Effective(name);
        var text = value.Text ?? "";
        if (text.Length > 1 && text[0] == '-' && text[1..].All(char.IsAsciiDigit))
        {
            throw Invalid(value, $"a whole number of {min} or more: a negative time cannot be waited");
        }
        var fallback = int.Parse(KvmrcParameters.Get(name).Default!, CultureInfo.InvariantCulture);
        if (text.Length == 0 || !text.All(char.IsAsciiDigit))
        {
            return Noted(value, "is not a whole number of seconds", $"{fallback} s, upstream's default", fallback);
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxSeconds)
        {
            return Noted(value, "is longer than a timer can wait", $"{MaxSeconds} s (24 days)", MaxSeconds);
        }
        return seconds >= min ? seconds : Noted(value, $"is below {min} s", $"{fallback} s, upstream's default", fallback);
    }

    /// <summary>VIRSH_RETRIES: upstream's test(1) and Ruby's to_i take a word as 1 and 0 tries; the default is what was meant.</summary>
    private int Count(string name)
    {
        var value = Effective(name);
        if (int.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            return count;
        }
        if (value.Text is { Length: > 0 } digits && digits.All(char.IsAsciiDigit))
        {
            return Noted(value, "is more than onekvm counts", $"{int.MaxValue}", int.MaxValue);
        }
        var fallback = int.Parse(KvmrcParameters.Get(name).Default!, CultureInfo.InvariantCulture);
        return Noted(value, "is not a whole number", $"{fallback}, upstream's default", fallback);
    }

    private int Integer(string name, int min)
    {
        var value = Effective(name);
        if (!int.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min)
        {
            throw Invalid(value, $"a whole number of {min} or more");
        }
        return number;
    }

    private long Long(string name)
    {
        var value = Effective(name);
        if (!long.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw Invalid(value, "a whole number of 0 or more");
        }
        return number;
    }

    /// <summary>Upstream's bash compares with "yes" exactly: anything else (true, YES, 1) is no, and said so.</summary>
    private bool YesNo(string name, StringComparison comparison = StringComparison.Ordinal)
    {
        var value = Effective(name);
        if (string.Equals(value.Text, "yes", comparison))
        {
            return true;
        }
        if (value.Text != "no")
        {
            Noted(value, "is not \"yes\"", "no, as upstream's scripts compare with \"yes\" exactly", 0);
        }
        return false;
    }

    /// <summary>Upstream writes the value into the disk XML as it is: one outside onekvm's list goes to libvirt to judge.</summary>
    private string? OneOf(string name, string[] allowed)
    {
        var value = Get(name);
        if (!value.IsSet)
        {
            return null;
        }
        if (!allowed.Contains(value.Text, StringComparer.Ordinal))
        {
            Noted(value, "is not one of " + string.Join(", ", allowed), "it is, for libvirt to accept or refuse, as upstream does", 0);
        }
        return value.Text;
    }

    private T Noted<T>(SettingValue value, string problem, string takenAs, T result)
    {
        if (_noted.Add(value.Name))
        {
            note?.Invoke(new SettingNote(value, problem, takenAs));
        }
        return result;
    }

    /// <summary>An empty assignment (NAME=) behaves as unset, as upstream's [ -z ] tests do.</summary>
    private SettingValue Effective(string name)
    {
        var value = Get(name);
        return value.IsSet ? value : value with { Text = KvmrcParameters.Get(name).Default, Where = "default" };
    }

    private static KvmrcException Invalid(SettingValue value, string expected) =>
        new($"{value} is not valid: expected {expected}.");
}
