namespace OneKvm.Remotes.Driver;

/// <summary>
/// One positional argument of an action, as one_vmm_exec passes it. An action declares its
/// parameters beside its code and reads each by the declaration, never by a name string.
/// </summary>
internal sealed record ActionParameter(string Name, string Description, bool Required = true)
{
    public ActionParameter Optional() => this with { Required = false };

    // one_vmm_exec appends these two to most actions' arguments
    public static readonly ActionParameter VmId = new ActionParameter("vm_id", "OpenNebula VM ID (appended by one_vmm_exec)").Optional();
    public static readonly ActionParameter VmHost = new ActionParameter("vm_host", "host name (appended by one_vmm_exec)").Optional();
    public static readonly ActionParameter DeployId = new("deploy_id", "libvirt domain name or UUID (one-<vm_id>)");
    public static readonly ActionParameter ThisHost = new("host", "host the action runs on");
    public static readonly ActionParameter ActionDataBase64 = new ActionParameter("action_data_b64", "the action data, base64 (also on stdin, which is what onekvm reads)").Optional();
    public static readonly ActionParameter HostId = new ActionParameter("host_id", "OpenNebula host ID").Optional();
    public static readonly ActionParameter HostName = new ActionParameter("host", "host name").Optional();
}
