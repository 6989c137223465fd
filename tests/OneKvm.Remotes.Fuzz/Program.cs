using OneKvm.Remotes.Fuzz;

// onekvm-fuzz <target>             run under AFL++ (tests/fuzz/run.sh instruments onekvm.dll first)
// onekvm-fuzz <target> <file>...   run files in-process and print each outcome (triage, reproduction)
// onekvm-fuzz --list               the targets and what each reads
if (args.Length == 0 || args[0] == "--list")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-20} {t.Input}");
    }
    return args.Length == 0 ? 2 : 0;
}
var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    await Console.Error.WriteLineAsync($"No fuzz target '{args[0]}'; --list names them.");
    return 2;
}
if (args.Length == 1)
{
    SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        FuzzProperty.Run(target, buffer.ToArray());
    });
    return 0;
}
var failed = 0;
foreach (var file in args.Skip(1))
{
    try
    {
        Console.WriteLine($"{file}: {FuzzProperty.Run(target, File.ReadAllBytes(file))}");
    }
#pragma warning disable CA1031 // triage reports every failure and goes on with the next file
    catch (Exception e)
#pragma warning restore CA1031
    {
        failed++;
        Console.WriteLine($"{file}: PROPERTY BROKEN: {e.GetType().FullName}: {e.Message}");
        Console.WriteLine(e.StackTrace);
    }
}
return failed == 0 ? 0 : 1;
