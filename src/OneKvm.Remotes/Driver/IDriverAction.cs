namespace OneKvm.Remotes.Driver;

/// <summary>One driver action. Throw a OneKvmException to fail with its sentence; write the answer to context.Stdout.</summary>
internal interface IDriverAction
{
    Task RunAsync(DriverContext context, ActionArguments arguments, CancellationToken cancellationToken);
}
