namespace OneKvm.Remotes.Dispatch;

/// <summary>One positional argument of an action, as one_vmm_exec passes it.</summary>
internal sealed record ActionParameter(string Name, string Description, bool Required = true)
{
    public ActionParameter Optional() => this with { Required = false };
}
