using System.Diagnostics;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// A worker started while Redis (or the broker) is down, with tasks waiting for it: it must stay up and start
/// consuming once the server answers. Time to recover: from the server's return until the first task finishes.
/// </summary>
internal sealed class StartWhileDownScenario(string id, bool broker) : IFaultScenario
{
    public string Id => id;

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var down = run.Options.Pick(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(15));
        var tasks = run.Options.Pick(200, 50);
        var server = broker ? "broker" : "Redis";
        await using var context = await run.StartScenarioAsync(broker ? "start-no-broker" : "start-no-redis", cancellationToken).ConfigureAwait(false);
        var ids = ScenarioContext.NewIds(tasks);
        await using var monitor = new ResultMonitor(context.Driver.Redis, ids);
        // Sent first, with no worker: the broker keeps them in the queue through its own restart (durable, persistent).
        await context.SendFromPythonAsync(ids, DiagnosticTasks.Record, "[0.01]", null, cancellationToken).ConfigureAwait(false);

        if (broker)
        {
            await run.Servers.StopBrokerAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await run.Servers.StopRedisAsync(cancellationToken).ConfigureAwait(false);
        }

        var worker = context.StartWorker();
        await context.WriteAsync($"worker started with {server} down; waiting {down.TotalSeconds:0} s").ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < down && !worker.ExitedByItself)
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        var stayedUp = !worker.ExitedByItself;
        if (broker)
        {
            await run.Servers.StartBrokerAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await run.Servers.StartRedisAsync(cancellationToken).ConfigureAwait(false);
        }

        var recover = await monitor.WaitForCompletionAfterAsync(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        var notes = stayedUp
            ? $"the worker stayed up {down.TotalSeconds:0} s without {server}, then consumed"
            : $"the worker EXITED after {waited.Elapsed.TotalSeconds:0} s without {server}";
        var outcome = await context.CountAsync(ids, monitor, recover, notes, cancellationToken).ConfigureAwait(false);
        return [outcome with { Scenario = $"worker started while {server} is down ({down.TotalSeconds:0} s)" }];
    }
}
