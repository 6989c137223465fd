using OneKvm.Remotes.Errors;
using OneKvm.Remotes.Fuzz;
using Xunit;

namespace OneKvm.Remotes.Specs.Fuzz;

/// <summary>The property the fuzzer and FuzzCorpusSpecs check is one that can fail.</summary>
public sealed class FuzzPropertySpecs
{
    private static readonly byte[] Input = "input"u8.ToArray();

    [Fact]
    public void The_one_sentence_failure_keeps_the_property_and_is_the_outcome() =>
        Assert.Equal("The input is wrong.", FuzzProperty.Run(Target(_ => throw new OneKvmException("The input is wrong.")), Input));

    [Fact]
    public void An_exception_the_target_does_not_document_breaks_the_property() =>
        Assert.Throws<IndexOutOfRangeException>(() => FuzzProperty.Run(Target(b => _ = b[b.Length]), Input));

    [Fact]
    public void A_documented_exception_keeps_the_property() =>
        Assert.StartsWith("FormatException", FuzzProperty.Run(Target(_ => throw new FormatException("not a number"), typeof(FormatException)), Input));

    [Fact]
    public void A_failure_without_a_sentence_breaks_the_property() =>
        Assert.Throws<FuzzPropertyViolation>(() => FuzzProperty.Run(Target(_ => throw new OneKvmException(" ")), Input));

    [Fact]
    public void Memory_past_the_bound_breaks_the_property()
    {
        var e = Assert.Throws<FuzzPropertyViolation>(() => FuzzProperty.Run(
            Target(b => GC.KeepAlive(new byte[FuzzProperty.AllocationBound(b.Length) + 1])), Input));

        Assert.Contains("over the bound", e.Message);
    }

    private static FuzzTarget Target(Action<byte[]> run, params Type[] documented) => new("synthetic", "a spec's target", run, documented);
}
