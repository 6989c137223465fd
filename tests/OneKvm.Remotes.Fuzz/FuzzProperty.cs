using OneKvm.Remotes.Errors;

namespace OneKvm.Remotes.Fuzz;

/// <summary>An input that broke the property other than by an unhandled exception: memory past the bound.</summary>
internal sealed class FuzzPropertyViolation(string message) : Exception(message);

/// <summary>
/// The property every target keeps: any input ends in success or in the one-sentence failure
/// (<see cref="OneKvmException"/> or a type the target documents), never another exception, and
/// allocates no more than <see cref="AllocationBound"/>. A hang is bounded outside: AFL++'s -t,
/// the specs' timeout.
/// </summary>
internal static class FuzzProperty
{
    /// <summary>Room for the parsers' fixed costs (System.CommandLine's model, SQLite's page cache).</summary>
    public const long AllocationFloor = 64L << 20;

    /// <summary>An XLinq tree costs tens of bytes per byte of XML; a few hundred is far above any honest parse.</summary>
    public const long AllocationPerInputByte = 512;

    public static long AllocationBound(int inputLength) => AllocationFloor + AllocationPerInputByte * inputLength;

    /// <summary>
    /// Runs the target on <paramref name="input"/>: "success" or the failure's sentence; an undocumented
    /// exception escapes as it is (AFL++ records a crash), memory past the bound is a <see cref="FuzzPropertyViolation"/>.
    /// </summary>
    public static string Run(FuzzTarget target, byte[] input)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        string outcome;
        try
        {
            target.Run(input);
            outcome = "success";
        }
        catch (OneKvmException e)
        {
            outcome = string.IsNullOrWhiteSpace(e.Message)
                ? throw new FuzzPropertyViolation($"{target.Name}: a {e.GetType().Name} without a sentence.")
                : e.Message;
        }
        catch (Exception e) when (target.Documented.Any(t => t.IsInstanceOfType(e)))
        {
            outcome = $"{e.GetType().Name}: {e.Message}";
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (allocated > AllocationBound(input.Length))
        {
            throw new FuzzPropertyViolation(
                $"{target.Name}: {allocated:N0} bytes allocated for {input.Length:N0} bytes of input, over the bound {AllocationBound(input.Length):N0}.");
        }
        return outcome;
    }
}
