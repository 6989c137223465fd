namespace OneKvm.Remotes.Doctor;

/// <summary>How a check came out; the worst one is the exit status of onekvm doctor (0, 1, 2).</summary>
internal enum Verdict
{
    Ok = 0,
    Warn = 1,
    Fail = 2,
}

/// <summary>One line of onekvm doctor: what was checked, how it came out, and what to do about it.</summary>
internal sealed record Finding(string Area, Verdict Verdict, string Message, string? Remedy = null)
{
    public static Finding Ok(string area, string message) => new(area, Verdict.Ok, message);

    public static Finding Warn(string area, string message, string remedy) => new(area, Verdict.Warn, message, remedy);

    public static Finding Fail(string area, string message, string remedy) => new(area, Verdict.Fail, message, remedy);

    public string Label => Verdict switch
    {
        Verdict.Ok => "OK",
        Verdict.Warn => "WARN",
        _ => "FAIL",
    };

    public override string ToString() =>
        $"{Label,-4} {Area}: {Message}{(Remedy is null ? "" : " -> " + Remedy)}";
}
