using Microsoft.Extensions.Logging;

namespace Runai.Core.Hosting;

/// <summary>
/// A component whose logic has not arrived yet: it takes part in leader election, says when it leads, and waits.
/// It does no work and publishes no metrics of its own, so nothing downstream mistakes it for the real thing.
/// </summary>
internal sealed class LeadershipOnlyComponent(string name) : IComponent
{
    public string Name { get; } = name;

    public async Task RunAsync(ComponentContext context, CancellationToken leading)
    {
        var log = context.Loggers.CreateLogger("Runai." + Name);
        log.LogInformation("{Component} leads as {Identity}; its reconcile logic is not implemented yet, so it waits", Name, context.Identity);
        try
        {
            await Task.Delay(Timeout.Infinite, leading).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
        }

        log.LogInformation("{Component} stops: no longer leading", Name);
    }
}
