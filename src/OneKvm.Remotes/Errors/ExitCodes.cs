namespace OneKvm.Remotes.Errors;

/// <summary>Exit codes of onekvm. 42 is absent on purpose: one_vmm_exec reads it as "remotes missing, resync".</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int NotImplemented = 3;
    public const int Internal = 4;

    public const int ReservedByDriver = 42;

    public static int Safe(int code) => code == ReservedByDriver ? Failure : code;
}
