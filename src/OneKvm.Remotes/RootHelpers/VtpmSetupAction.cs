namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// vtpm_setup, run as root through sudo: libvirt deletes a transient domain's swtpm state
/// (/var/lib/libvirt/swtpm/&lt;uuid&gt;/tpm2/tpm2-00.permall) when the domain stops, so OpenNebula
/// keeps a copy in &lt;vm dir&gt;/tpm. <c>recover &lt;uuid&gt; &lt;vm dir&gt;</c> puts the copy back
/// before deploy (nothing to do, exit 0, when there is no copy: a first deploy);
/// <c>backup &lt;uuid&gt; &lt;vm dir&gt;</c> takes it before shutdown. As upstream, the files
/// recovered and backed up belong to the owner of the VM directory (oneadmin on a node).
/// Unlike upstream, a copy that fails is exit 1 with a sentence (upstream's exit code was
/// chown's), and nothing is read or written through a symlink below the VM directory or in
/// libvirt's state directory, both of which a non-root user can write to.
/// </summary>
internal sealed class VtpmSetupAction : IDriverAction
{
    private static readonly ActionParameter Action = new("action", "recover (before deploy) or backup (before shutdown)");
    private static readonly ActionParameter Uuid = new("uuid", "the domain's UUID");
    private static readonly ActionParameter VmDir = new("vm_dir", "the VM directory, <datastores>/<datastore id>/<vm id>");
    public static readonly ActionEntry Row = ActionEntry.RootHelper("vtpm_setup", false,
        "Root helper (sudo): recover puts <vm_dir>/tpm into libvirt's swtpm state of the domain; backup copies that state back.",
        [Action, Uuid, VmDir], () => new VtpmSetupAction());

    public const string Name = "vtpm_setup";
    public const string LibvirtStates = "/var/lib/libvirt/swtpm";
    public const string TpmDirectory = "tpm";
    public const string StateDirectory = "tpm2";
    public const string StateFile = "tpm2-00.permall";

    // a TPM 2.0 permanent state is tens of KB; this bounds what root reads into memory
    private const int StateLimit = 16 * 1024 * 1024;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnly = OwnerReadWrite | UnixFileMode.UserExecute; // 0700
    private const UnixFileMode Traversable = OwnerOnly | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute; // 0711
    private const UnixFileMode Readable = Traversable | UnixFileMode.GroupRead | UnixFileMode.OtherRead; // 0755

    public Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var action = arguments[Action];
        var uuid = HelperArguments.Uuid(Name, arguments[Uuid]);
        var vmDirectory = HelperArguments.VmDirectory(Name, arguments[VmDir]);
        (string What, Action Body) step = action switch
        {
            "recover" => ("recover the TPM state", () => Recover(uuid, vmDirectory)),
            "backup" => ("back up the TPM state", () => Backup(uuid, vmDirectory)),
            _ => throw new RefusedException($"{Name} refused the action '{action}': it knows recover and backup."),
        };
        Guarded(step.What, step.Body);
        return Task.CompletedTask;
    }

    /// <summary>One sentence whatever went wrong: what was refused, or what failed.</summary>
    private static void Guarded(string what, Action body)
    {
        try
        {
            body();
        }
        catch (RefusedException e)
        {
            throw new RefusedException($"{Name} refused to {what}: {e.Message}.");
        }
        catch (OneKvmException e)
        {
            throw new OneKvmException($"{Name} could not {what}: {e.Message}.", e);
        }
    }

    private static void Recover(string uuid, string vmDirectory)
    {
        byte[]? state;
        (int, int) owner;
        using (var vm = NoFollowDirectory.TryOpen(vmDirectory))
        {
            using var tpm = vm?.TryOpenDirectory(TpmDirectory);
            if (vm is null || tpm is null)
            {
                return; // no copy yet: swtpm makes a new state
            }
            state = tpm.TryReadFile(StateFile, StateLimit) ?? throw new OneKvmException($"{tpm.Path} holds no {StateFile}");
            owner = vm.Owner;
        }
        // the layout swtpm expects, or it manufactures a new TPM over it
        using var states = OpenStates(create: true);
        using var domain = states.OpenDirectory(uuid, OwnerOnly);
        domain.SetMode(Traversable);
        using var tpm2 = domain.OpenDirectory(StateDirectory, OwnerOnly);
        tpm2.SetMode(OwnerOnly);
        tpm2.Touch(".lock", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, owner);
        tpm2.WriteFile(StateFile, state, OwnerReadWrite, owner);
        tpm2.SetOwner(owner);
    }

    private static void Backup(string uuid, string vmDirectory)
    {
        using var states = OpenStates(create: false);
        using var domain = states.TryOpenDirectory(uuid);
        using var tpm2 = domain?.TryOpenDirectory(StateDirectory);
        var state = tpm2?.TryReadFile(StateFile, StateLimit)
            ?? throw new OneKvmException($"there is no {LibvirtStates}/{uuid}/{StateDirectory}/{StateFile} to back up");
        using var vm = NoFollowDirectory.TryOpen(vmDirectory) ?? throw new OneKvmException($"the VM directory {vmDirectory} does not exist");
        var owner = vm.Owner;
        using var tpm = vm.OpenDirectory(TpmDirectory, Readable);
        tpm.WriteFile(StateFile, state, OwnerReadWrite, owner);
        tpm.SetOwner(owner);
    }

    private static NoFollowDirectory OpenStates(bool create)
    {
        var parent = Path.GetDirectoryName(LibvirtStates)!;
        using var libvirt = NoFollowDirectory.TryOpen(parent) ?? throw new OneKvmException($"{parent} does not exist");
        return libvirt.TryOpenDirectory(Path.GetFileName(LibvirtStates), create ? Traversable : null)
            ?? throw new OneKvmException($"{LibvirtStates} does not exist");
    }
}
