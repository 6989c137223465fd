namespace OneKvm.Remotes.Live.Devices;

/// <summary>
/// One vector attribute of the VM template (a DISK, NIC or PCI element) and the checks
/// upstream leaves to bash arithmetic: a number that is not one is an error that names
/// the attribute before anything reaches libvirt.
/// </summary>
/// <param name="description">What the vector is, for error sentences ("the DISK being attached").</param>
internal sealed class TemplateVector(XElement element, string description)
{
    public XElement Element { get; } = element;

    /// <summary>The description as the start of a sentence.</summary>
    public string Subject => char.ToUpperInvariant(description[0]) + description[1..];

    /// <summary>The trimmed value, or null when the attribute is absent or empty (as upstream's [ -n ] tests see it).</summary>
    public string? Text(string name) => ActionData.Text(Element, name);

    public bool Has(string name) => Text(name) is not null;

    /// <summary>Upstream lower-cases and compares with "yes".</summary>
    public bool IsYes(string name) => string.Equals(Text(name), "yes", StringComparison.OrdinalIgnoreCase);

    public long? WholeNumber(string name, long min = 0) =>
        Text(name) is not { } text
            ? null
            : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= min
                ? number
                : throw Invalid(name, text, min == 0 ? "a whole number" : $"a whole number of {min} or more");

    public OneKvmException Invalid(string name, string text, string expected) =>
        new($"{Subject} has {name}=\"{text}\", which is not {expected}.");
}
