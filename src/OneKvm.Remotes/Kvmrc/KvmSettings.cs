using System.Globalization;

namespace OneKvm.Remotes.Kvmrc;

/// <summary>
/// The driver's settings: kvmrc assignments over the environment over upstream's
/// defaults. Values are validated when read, so a bad SHUTDOWN_TIMEOUT fails the
/// actions that need it with a clear message and leaves the others alone.
/// </summary>
internal sealed class KvmSettings
{
    internal static readonly string[] CacheModes = ["default", "none", "writethrough", "writeback", "directsync", "unsafe"];
    internal static readonly string[] DiscardModes = ["ignore", "unmap"];
    internal static readonly string[] IoModes = ["native", "threads", "io_uring", "default"];

    private readonly Func<string, string?> _environment;

    public KvmSettings(KvmrcDocument document, Func<string, string?> environment)
    {
        Document = document;
        _environment = environment;
    }

    public KvmrcDocument Document { get; }

    public string LibvirtUri => Text(KvmrcParameters.LibvirtUri)!;

    public string QemuProtocol => Text(KvmrcParameters.QemuProtocol)!;

    public TimeSpan ShutdownTimeout => TimeSpan.FromSeconds(Integer(KvmrcParameters.ShutdownTimeout, min: 0));

    /// <summary>Total attempts of a retried virsh call (upstream: VIRSH_RETRIES tries, not re-tries).</summary>
    public int VirshAttempts => Math.Max(1, Integer(KvmrcParameters.VirshRetries, min: 0));

    public TimeSpan VirshTimeout => TimeSpan.FromSeconds(Integer(KvmrcParameters.VirshTimeout, min: 1));

    public bool SyncTime => YesNo(KvmrcParameters.SyncTime);

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
    public string? DefaultAttachVirtioBlkQueues
    {
        get
        {
            var value = Get(KvmrcParameters.DefaultAttachVirtioBlkQueues);
            if (!value.IsSet || value.Text == "auto")
            {
                return value.IsSet ? value.Text : null;
            }
            return Integer(KvmrcParameters.DefaultAttachVirtioBlkQueues, min: 1).ToString(CultureInfo.InvariantCulture);
        }
    }

    public int? DefaultAttachVirtioBlkIothread =>
        Get(KvmrcParameters.DefaultAttachVirtioBlkIothread).IsSet
            ? Integer(KvmrcParameters.DefaultAttachVirtioBlkIothread, min: 0)
            : null;

    public string? DefaultAttachNicModel => Text(KvmrcParameters.DefaultAttachNicModel);

    public string? DefaultAttachNicFilter => Text(KvmrcParameters.DefaultAttachNicFilter);

    /// <summary>The kvmrc default of one iotune attribute (e.g. "TOTAL_BYTES_SEC"), or null.</summary>
    public long? DefaultAttachIoTune(string attribute)
    {
        var name = "DEFAULT_ATTACH_" + attribute;
        if (!Get(name).IsSet)
        {
            return null;
        }
        return Long(name);
    }

    /// <summary>Variables the kvmrc exports, which reach virsh's environment as they would after `source`.</summary>
    public IEnumerable<KeyValuePair<string, string>> ExportedVariables =>
        Document.Effective.Values
            .Where(a => a.Exported)
            .Select(a => new KeyValuePair<string, string>(a.Name, a.Value));

    public SettingValue Get(string name)
    {
        if (Document.Effective.TryGetValue(name, out var assignment))
        {
            return new SettingValue(name, assignment.Value, SettingOrigin.Kvmrc, $"{Document.Path}:{assignment.Line}");
        }
        var env = _environment(name);
        if (env is not null)
        {
            return new SettingValue(name, env, SettingOrigin.Environment, "environment");
        }
        var parameter = KvmrcParameters.Get(name);
        return new SettingValue(name, parameter.Default, SettingOrigin.Default, "default");
    }

    /// <summary>Reads a parameter through its validator; throws <see cref="KvmrcException"/> when invalid.</summary>
    public void Validate(KvmrcParameter parameter)
    {
        _ = parameter.Kind switch
        {
            ParameterKind.Text or ParameterKind.Words => Get(parameter.Name).Text,
            ParameterKind.Seconds => Integer(parameter.Name, min: parameter.Name == KvmrcParameters.VirshTimeout ? 1 : 0).ToString(CultureInfo.InvariantCulture),
            ParameterKind.Count => Integer(parameter.Name, min: 0).ToString(CultureInfo.InvariantCulture),
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

    private int Integer(string name, int min)
    {
        var value = Effective(name);
        if (!int.TryParse(value.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min)
        {
            throw Invalid(value, min == 0 ? "a whole number of 0 or more" : $"a whole number of {min} or more");
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

    /// <summary>Upstream compares with "yes"; anything that is neither yes nor no is a typo worth stopping for.</summary>
    private bool YesNo(string name)
    {
        var value = Effective(name);
        return value.Text?.ToLowerInvariant() switch
        {
            "yes" => true,
            "no" => false,
            _ => throw Invalid(value, "yes or no"),
        };
    }

    private string? OneOf(string name, string[] allowed)
    {
        var value = Get(name);
        if (!value.IsSet)
        {
            return null;
        }
        if (!allowed.Contains(value.Text, StringComparer.Ordinal))
        {
            throw Invalid(value, "one of " + string.Join(", ", allowed));
        }
        return value.Text;
    }

    /// <summary>An empty assignment (NAME=) behaves as unset, as upstream's [ -z ] tests do.</summary>
    private SettingValue Effective(string name)
    {
        var value = Get(name);
        return value.IsSet ? value : value with { Text = KvmrcParameters.Get(name).Default, Origin = SettingOrigin.Default, Where = "default" };
    }

    private static KvmrcException Invalid(SettingValue value, string expected) =>
        new(value.Name, $"{value.Name}=\"{value.Text}\" ({value.Where}) is not valid: expected {expected}.");
}
