using OneKvm.Remotes.Guest;

namespace OneKvm.Remotes.Monitoring;

/// <summary>
/// The guest agent's share of vm_monitor: GPU_* of VMs with an NVIDIA device passed through
/// (nvidia-smi run by the agent), and, when guestagent.conf enables it, OS_ID, OS_TYPE,
/// OS_VERSION, OS_MACHINE, GUEST_IP, GUEST_IP_ADDRESSES and every configured command's
/// answer. One virsh process reads every domain's XML (OpenNebula's metadata and the
/// agent channel's state); agents are then asked only where the channel is connected,
/// all VMs at once (at most <see cref="MaxConcurrentCalls"/> virsh processes), each call
/// bounded. A VM without a connected agent gets the sentence libvirt would answer without
/// a call.
/// </summary>
internal static partial class GuestMonitor
{
    public const int MaxConcurrentCalls = 32;
    public const string AgentChannel = "org.qemu.guest_agent.0";
    public const string NvidiaVendor = "10de";
    public static readonly TimeSpan OsInfoTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan GpuTimeout = TimeSpan.FromSeconds(3);

    private const string NotConfigured = "error: argument unsupported: QEMU guest agent is not configured";
    private const string NotConnected = "error: Guest agent is not responding: QEMU guest agent is not connected";
    private const string Disabled = "QEMU Guest Agent monitoring disabled";
    private static readonly XNamespace One = "http://opennebula.org/xmlns/libvirt/1.0";

    private static readonly string[] NvidiaFields = ["gpu_uuid", "utilization.gpu", "utilization.memory", "power.draw", "memory.free"];

    /// <summary>What the guest agent adds to each VM's MONITOR, by VM id ("KEY=\"value\"\n" lines).</summary>
    public static async Task<IReadOnlyDictionary<int, string>> ReadAsync(IVirshHost host, IReadOnlyList<OneVm> vms, string? hostName,
        CancellationToken cancellationToken)
    {
        var (config, problem) = GuestAgentConfig.Load(Path.Combine(host.RemotesRoot, GuestAgentConfig.RelativePath));
        if (problem is not null)
        {
            host.Logger.AgentConfigUnusable(problem);
        }
        // without guestagent.conf (a node always has upstream's) only a VM with a device passed through can have keys:
        // then the probe makes no virsh call more than before
        if (vms.Count == 0 || (config is null && !vms.Any(PassesDevicesThrough)))
        {
            return new Dictionary<int, string>();
        }
        var domains = await DomainsAsync(host.Virsh, vms, cancellationToken).ConfigureAwait(false);
        var agent = new GuestAgent(host.Virsh);
        using var gate = new SemaphoreSlim(MaxConcurrentCalls);
        var cache = config is { Enabled: true } ? GuestOsCache.Load(host.Environment, hostName) : null;
        var reads = vms.Select(vm => VmAsync(vm, domains.GetValueOrDefault(vm.Id), config, cache?.Find(vm), agent, gate, host.Programs.Time, cancellationToken)).ToList();
        var answers = await Task.WhenAll(reads).ConfigureAwait(false);
        cache?.Save(vms.Zip(answers, (vm, a) => (vm, a.Os)));
        var texts = new Dictionary<int, string>();
        for (var i = 0; i < vms.Count; i++)
        {
            if (answers[i].Text.Length > 0)
            {
                texts[vms[i].Id] = answers[i].Text;
            }
        }
        return texts;
    }

    /// <summary>The agent channel's state ("connected", "disconnected", or null without one) and the PCI devices of OpenNebula's metadata.</summary>
    internal sealed record DomainFacts(string? Channel, string? PciDevices);

    /// <summary>Every domain's XML from one virsh process: "echo @@N; dumpxml one-N; ..." (virsh goes on after a failed command).</summary>
    private static async Task<Dictionary<int, DomainFacts>> DomainsAsync(VirshRunner virsh, IReadOnlyList<OneVm> vms, CancellationToken cancellationToken)
    {
        var script = string.Join("; ", vms.Select(v => $"echo @@{v.Id}; dumpxml {v.Stats.Name}"));
        var facts = new Dictionary<int, DomainFacts>();
        ProgramResult result;
        try
        {
            result = await virsh.WithAttempts(1).TryRunAsync(VirshCommand.Create(script).WithReadOnly().WithDeadline(TimeSpan.FromSeconds(30)),
                cancellationToken).ConfigureAwait(false);
        }
        catch (VirshException)
        {
            return facts;
        }
        foreach (var section in result.StandardOutput.Split("@@", StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = section.IndexOf('\n', StringComparison.Ordinal);
            if (newline < 0 || !int.TryParse(section.AsSpan(0, newline), NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                || section[(newline + 1)..].Trim() is not { Length: > 0 } xml)
            {
                continue;
            }
            try
            {
                var domain = XElement.Parse(xml);
                var channel = domain.Element("devices")?.Elements("channel")
                    .Select(c => c.Element("target"))
                    .FirstOrDefault(t => (string?)t?.Attribute("name") == AgentChannel);
                var pci = domain.Element("metadata")?.Element(One + "vm")?.Element(One + "pci_devices")?.Value;
                facts[id] = new DomainFacts(channel is null ? null : (string?)channel.Attribute("state") ?? "connected", pci);
            }
            catch (System.Xml.XmlException)
            {
                // a domain that changed between list and dumpxml: no agent keys this time
            }
        }
        return facts;
    }

    private static async Task<(string Text, GuestOs Os)> VmAsync(OneVm vm, DomainFacts? facts, GuestAgentConfig? config, GuestOs? cachedOs,
        GuestAgent agent, SemaphoreSlim gate, TimeProvider time, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        var connected = facts?.Channel == "connected";
        var running = VmState.OpenNebulaState(vm.Stats.State, vm.Stats.Reason) == "RUNNING";
        // the GPU's calls run beside the others; its keys come first
        var gpuText = new StringBuilder();
        var gpu = running && connected && HasNvidiaGpu(facts?.PciDevices)
            ? GpuAsync(vm, agent, gate, gpuText, time, cancellationToken)
            : Task.CompletedTask;
        if (config is null || !config.Enabled)
        {
            foreach (var command in config?.Commands ?? [])
            {
                Key(text, command.Key, Disabled);
            }
            await gpu.ConfigureAwait(false);
            return (gpuText.Append(text).ToString(), GuestOs.Unknown);
        }
        var unavailable = facts?.Channel is null ? NotConfigured : NotConnected;
        var os = GuestOs.Unknown;
        var addresses = "";
        // commands without filters need no OS: they start at once, beside osinfo and the interfaces
        var unfiltered = config.Commands.ToDictionary(c => c.Key, c => c.Matches(GuestOs.Unknown) && connected
            ? CommandAsync(agent, gate, vm, c, cancellationToken)
            : null, StringComparer.Ordinal);
        if (connected)
        {
            var osInfo = cachedOs is not null
                ? Task.FromResult(AgentReply.Failed("cached"))
                : CallAsync(agent, gate, vm.Stats.Name, GuestAgent.Command("guest-get-osinfo"), OsInfoTimeout, cancellationToken);
            var interfaces = CallAsync(agent, gate, vm.Stats.Name, GuestAgent.Command("guest-network-get-interfaces"), CallTimeout, cancellationToken);
            os = cachedOs ?? OsOf(await osInfo.ConfigureAwait(false));
            addresses = AddressesOf(await interfaces.ConfigureAwait(false));
        }
        if (os.Id is not null)
        {
            Key(text, "os_id", os.Id);
            Key(text, "os_type", os.Type!);
            Key(text, "os_version", os.Version!);
            Key(text, "os_machine", os.Machine!);
        }
        if (addresses.Length > 0)
        {
            Key(text, "guest_ip", addresses.Split(',')[0]);
            Key(text, "guest_ip_addresses", addresses);
        }
        var matching = config.Commands.Where(c => c.Matches(os)).ToList();
        var answers = await Task.WhenAll(matching.Select(c => !connected
            ? Task.FromResult(unavailable)
            : unfiltered[c.Key] ?? CommandAsync(agent, gate, vm, c, cancellationToken))).ConfigureAwait(false);
        for (var i = 0; i < matching.Count; i++)
        {
            Key(text, matching[i].Key, answers[i]);
        }
        await gpu.ConfigureAwait(false);
        return (gpuText.Append(text).ToString(), os);
    }

    private static Task<AgentReply> CallAsync(GuestAgent agent, SemaphoreSlim gate, string domain, string json, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        GatedAsync(gate, () => agent.CallAsync(domain, json, timeout, cancellationToken), cancellationToken);

    /// <summary>One agent call, while fewer than <see cref="MaxConcurrentCalls"/> run.</summary>
    private static async Task<AgentReply> GatedAsync(SemaphoreSlim gate, Func<Task<AgentReply>> call, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>A configured command: its words after "virsh qemu-agent-command", $vm_id replaced; the answer as upstream prints it.</summary>
    private static async Task<string> CommandAsync(GuestAgent agent, SemaphoreSlim gate, OneVm vm, AgentMonitorCommand command,
        CancellationToken cancellationToken)
    {
        IReadOnlyList<string> words;
        try
        {
            words = ShellWords.Split(command.Command.Replace("$vm_id", vm.Id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }
        catch (FormatException e)
        {
            return $"Cannot read the command of {command.Key}: {e.Message}";
        }
        var at = words.ToList().IndexOf("--timeout");
        var agentTimeout = at >= 0 && at + 1 < words.Count
            && int.TryParse(words[at + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds) : CallTimeout;
        var reply = await GatedAsync(gate, () => agent.CallWordsAsync(words, agentTimeout + GuestAgent.ProcessSlack, cancellationToken),
            cancellationToken).ConfigureAwait(false);
        return reply.Problem is { } problem ? "error: " + problem : RubyText.TopLevel(reply.Return!.Value);
    }

    private static GuestOs OsOf(AgentReply reply)
    {
        if (reply.Return is not { ValueKind: JsonValueKind.Object } info)
        {
            return GuestOs.Unknown;
        }
        var id = Text(info, "id") ?? "unknown";
        return new GuestOs(id, id == "mswindows" ? "mswindows" : "posix", Text(info, "version-id") ?? "unknown", Text(info, "machine") ?? "unknown");
    }

    /// <summary>IPv4 and IPv6 addresses of every interface but lo, loopback addresses left out, comma-separated.</summary>
    private static string AddressesOf(AgentReply reply)
    {
        if (reply.Return is not { ValueKind: JsonValueKind.Array } interfaces)
        {
            return "";
        }
        var addresses = new List<string>();
        foreach (var nic in interfaces.EnumerateArray())
        {
            if (Text(nic, "name") == "lo" || !nic.TryGetProperty("ip-addresses", out var ips) || ips.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            foreach (var ip in ips.EnumerateArray())
            {
                if (Text(ip, "ip-address") is { } address and not ("127.0.0.1" or "::1") && Text(ip, "ip-address-type") is "ipv4" or "ipv6")
                {
                    addresses.Add(address);
                }
            }
        }
        return string.Join(',', addresses);
    }

    /// <summary>A vfio-pci device on the QEMU command line ("-device vfio-pci,..." or its JSON form).</summary>
    private static bool PassesDevicesThrough(OneVm vm) =>
        vm.Process is { } process && ProcFs.Host.CommandLine(process.Pid) is { } arguments &&
        arguments.Any(a => a.Contains("vfio-pci", StringComparison.Ordinal));

    private static bool HasNvidiaGpu(string? pciDevices) =>
        pciDevices is not null && pciDevices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(':'))
            .Any(parts => parts.Length >= 3 && parts[0].Equals(NvidiaVendor, StringComparison.OrdinalIgnoreCase));

    /// <summary>nvidia-smi in the guest (no shell), its CSV summed over the GPUs, utilisations averaged.</summary>
    private static async Task GpuAsync(OneVm vm, GuestAgent agent, SemaphoreSlim gate, StringBuilder text, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var start = GuestAgent.Command("guest-exec", w =>
        {
            w.WriteString("path", "nvidia-smi");
            w.WriteStartArray("arg");
            w.WriteStringValue("--query-gpu=" + string.Join(',', NvidiaFields));
            w.WriteStringValue("--format=csv,noheader,nounits");
            w.WriteEndArray();
            w.WriteBoolean("capture-output", true);
        });
        var started = await CallAsync(agent, gate, vm.Stats.Name, start, CallTimeout, cancellationToken).ConfigureAwait(false);
        if (started.Return is not { ValueKind: JsonValueKind.Object } s || !s.TryGetProperty("pid", out var pidValue) || !pidValue.TryGetInt64(out var pid))
        {
            return;
        }
        var since = time.GetTimestamp();
        while (time.GetElapsedTime(since) < GpuTimeout)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
            var status = await CallAsync(agent, gate, vm.Stats.Name, ExecAction.StatusCommand(pid), CallTimeout, cancellationToken).ConfigureAwait(false);
            if (status.Return is { ValueKind: JsonValueKind.Object } st && st.TryGetProperty("exited", out var exited) && exited.ValueKind == JsonValueKind.True)
            {
                var output = Text(st, "out-data") is { } b64 ? Encoding.UTF8.GetString(Convert.FromBase64String(b64)) : "";
                GpuKeys(output, text);
                return;
            }
        }
    }

    internal static void GpuKeys(string csv, StringBuilder text)
    {
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split(',', StringSplitOptions.TrimEntries))
            .Where(r => r.Length >= NvidiaFields.Length)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }
        double Sum(int column) => rows.Sum(r => Number(r[column]));
        double Average(int column) => Sum(column) / rows.Count;
        Key(text, "gpu_utilization", MonitorFormat.Float(Average(1)));
        Key(text, "gpu_memory_utilization", MonitorFormat.Float(Average(2)));
        Key(text, "gpu_memory_free", MonitorFormat.Float(Sum(4)));
        Key(text, "gpu_power_usage", MonitorFormat.Float(Sum(3)));
        Key(text, "gpu_count", rows.Count.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>nvidia-smi's value, 0 for [N/A], [Not Supported] or empty, as upstream reads them.</summary>
    private static double Number(string value)
    {
        var digits = new string(value.Where(c => char.IsAsciiDigit(c) || c is '.' or '-').ToArray());
        return double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : 0.0;
    }

    private static void Key(StringBuilder text, string key, string value) =>
        // quotes already escaped (a Hash answer) stay as they are
        text.Append(key.ToUpperInvariant()).Append("=\"").Append(UnescapedQuote().Replace(value, "\\\"")).Append("\"\n");

    [System.Text.RegularExpressions.GeneratedRegex("(?<!\\\\)\"")]
    private static partial System.Text.RegularExpressions.Regex UnescapedQuote();

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}

/// <summary>An agent answer printed as upstream's Ruby prints it (Array#join, Hash#to_s with " [ ] escaped).</summary>
internal static class RubyText
{
    public static string TopLevel(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => string.Join(", ", value.EnumerateArray().Select(ToS)),
        JsonValueKind.Object => Inspect(value).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("[", "\\[", StringComparison.Ordinal).Replace("]", "\\]", StringComparison.Ordinal),
        _ => ToS(value),
    };

    private static string ToS(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString()!,
        JsonValueKind.Null => "",
        JsonValueKind.Array or JsonValueKind.Object => Inspect(value),
        _ => value.GetRawText(),
    };

    private static string Inspect(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "{" + string.Join(", ", value.EnumerateObject().Select(p => Quote(p.Name) + "=>" + Inspect(p.Value))) + "}",
        JsonValueKind.Array => "[" + string.Join(", ", value.EnumerateArray().Select(Inspect)) + "]",
        JsonValueKind.String => Quote(value.GetString()!),
        JsonValueKind.Null => "nil",
        _ => value.GetRawText(),
    };

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
