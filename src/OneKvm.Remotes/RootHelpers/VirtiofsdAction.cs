namespace OneKvm.Remotes.RootHelpers;

/// <summary>
/// virtiofsd.sh: oned writes its path into the &lt;filesystem&gt; of the domain XML
/// (/var/tmp/one/vmm/kvm/virtiofsd.sh) and libvirt starts it as root with virtiofsd's
/// arguments (<c>--fd=N -o source=DIR,cache=...,sandbox=...,xattr</c>). As upstream it runs
/// the first executable of kvmrc's VIRTIOFSD_BINARY_PATH with those arguments, in its own
/// place (exec): QEMU's C virtiofsd as root (it needs setgroups), any other (the Rust one) as
/// oneadmin. Unlike upstream: the shared directory must be under the node's datastores with
/// no symlink below the datastore; the binary, named by a kvmrc oneadmin can write, must be
/// root's and writable by root only, or root would run what oneadmin put there; the
/// arguments reach it as they came (upstream's su -c joined them into a shell command); and
/// it gets none of libvirtd's environment.
/// </summary>
internal sealed class VirtiofsdAction : IDriverAction
{
    public static readonly ActionEntry Row = ActionEntry.RootHelper("virtiofsd.sh", true,
        "Root helper (libvirt): runs the virtiofsd of VIRTIOFSD_BINARY_PATH with libvirt's arguments, sharing a directory below the datastores.",
        [], () => new VirtiofsdAction());

    public const string Name = "virtiofsd.sh";
    public const string UnprivilegedUser = "oneadmin";

    /// <summary>upstream kvmrc's VIRTIOFSD_BINARY_PATH, for a kvmrc that does not set it.</summary>
    public static readonly string[] DefaultCandidates = ["/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd", "/usr/lib/virtiofsd/virtiofsd"];

    public Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken)
    {
        var given = arguments.Given;
        foreach (var shared in SharedDirectories(given))
        {
            HelperArguments.SharedDirectory(Name, shared);
        }
        var candidates = context.Settings.VirtiofsdBinaryPaths is { Count: > 0 } configured ? configured : DefaultCandidates;
        var binary = candidates.FirstOrDefault(c => Path.IsPathRooted(c) && ProgramPath.IsExecutable(c))
            ?? throw new OneKvmException($"virtiofsd binary not found. Checked: {string.Join(' ', candidates)}.");
        TrustedBinary(binary);
        if (binary.Contains("qemu", StringComparison.Ordinal))
        {
            throw ProgramImage.Replace(binary, [binary, .. given], RootEnvironment.Block());
        }
        var setpriv = ProgramPath.Resolve("setpriv", RootEnvironment.SearchPath);
        throw ProgramImage.Replace(setpriv,
            [setpriv, $"--reuid={UnprivilegedUser}", $"--regid={UnprivilegedUser}", "--init-groups", "--", binary, .. given],
            RootEnvironment.Block());
    }

    /// <summary>The directories the arguments share: -o source=DIR (libvirt doubles a comma in DIR) and --shared-dir DIR.</summary>
    public static IEnumerable<string> SharedDirectories(IReadOnlyList<string> arguments)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            string? options = argument == "-o" && i + 1 < arguments.Count ? arguments[++i]
                : argument.StartsWith("-o", StringComparison.Ordinal) && argument.Length > 2 ? argument[2..] : null;
            if (options is not null)
            {
                foreach (var option in SplitOptions(options).Where(o => o.StartsWith("source=", StringComparison.Ordinal)))
                {
                    yield return option["source=".Length..];
                }
                continue;
            }
            if (argument == "--shared-dir" && i + 1 < arguments.Count)
            {
                yield return arguments[++i];
            }
            else if (argument.StartsWith("--shared-dir=", StringComparison.Ordinal))
            {
                yield return argument["--shared-dir=".Length..];
            }
        }
    }

    /// <summary>The options of a -o list: a comma separates them, a doubled comma is a comma in a value (libvirt's).</summary>
    private static IEnumerable<string> SplitOptions(string options) =>
        options.Replace(",,", "\0", StringComparison.Ordinal).Split(',').Select(o => o.Replace('\0', ','));

    /// <summary>The binary and its directory (after symlinks) belong to root and only root may change them.</summary>
    private static void TrustedBinary(string binary)
    {
        var target = new FileInfo(binary).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? binary;
        foreach (var path in new[] { target, Path.GetDirectoryName(target)! })
        {
            var (uid, mode) = NoFollowDirectory.StatPath(path);
            if (uid != 0 || (mode & (int)(UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                throw new RefusedException(
                    $"{Name} refused to run {binary}: {path} is not root's alone to change (owner uid {uid}, mode {Convert.ToString(mode & 0xFFF, 8)}), and it would run as root.");
            }
        }
    }
}
