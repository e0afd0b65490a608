using System.Globalization;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// The shape of the load scenarios: two workers (or more; concurrency 8 each), a Python Celery client sending
/// <c>diagnostics.record</c> tasks with results, and a fault injected once a share of them has succeeded.
/// </summary>
internal static class LoadScenario
{
    public const int Workers = 2;

    /// <summary>The fault: given the running scenario, returns its time to recover and a note.</summary>
    public delegate Task<(TimeSpan? Recover, string Notes)> Fault(ScenarioContext context, ResultMonitor monitor, List<FaultWorker> workers, CancellationToken cancellationToken);

    public static async Task<FaultOutcome> RunAsync(
        FaultRun run, string id, string name, int tasks, double taskSeconds, double startAt, Fault fault, CancellationToken cancellationToken,
        int workerCount = Workers)
    {
        await using var context = await run.StartScenarioAsync(id, cancellationToken).ConfigureAwait(false);
        var workers = Enumerable.Range(0, workerCount).Select(_ => context.StartWorker()).ToList();
        await context.WaitForConsumersAsync(workerCount, cancellationToken).ConfigureAwait(false);

        var ids = ScenarioContext.NewIds(tasks);
        await using var monitor = new ResultMonitor(context.Driver.Redis, ids);
        await context.WriteAsync($"sending {tasks:N0} {DiagnosticTasks.Record}({taskSeconds}) from Python Celery").ConfigureAwait(false);
        var sending = context.SendFromPythonAsync(ids, DiagnosticTasks.Record, string.Create(CultureInfo.InvariantCulture, $"[{taskSeconds}]"), null, cancellationToken);
        while (monitor.Succeeded < tasks * startAt && !sending.IsFaulted)
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var (recover, notes) = await fault(context, monitor, workers, cancellationToken).ConfigureAwait(false);
        await sending.ConfigureAwait(false);
        var outcome = await context.CountAsync(ids, monitor, recover, notes, cancellationToken).ConfigureAwait(false);
        return outcome with { Scenario = name };
    }

    public static string Seconds(TimeSpan value) => string.Create(CultureInfo.InvariantCulture, $"{value.TotalSeconds:0.0} s");
}
