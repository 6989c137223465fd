using System.Runtime.InteropServices;
using OneKvm.Remotes.Dispatch;

namespace OneKvm.Remotes;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        // under Native AOT element 0 is the name as invoked (a stub keeps it with exec -a)
        var invokedAs = Environment.GetCommandLineArgs()[0];
        var host = DriverHost.FromProcess(RootHelpers.RootEnvironment.ScrubProcess);
        using var interruption = new Interruption(Path.GetFileName(invokedAs), host.Stderr, Environment.Exit, TimeProvider.System);
        // one_vmm_exec kills a timed-out action: stop virsh with it instead of leaving it behind
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        return await Dispatcher.RunAsync(invokedAs, args, host, interruption.Token).ConfigureAwait(false);

        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            interruption.Signal();
        }
    }
}
