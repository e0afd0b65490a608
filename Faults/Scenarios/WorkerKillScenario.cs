using System.Diagnostics;
using System.Globalization;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// A worker SIGKILLed every few seconds under load, and a replacement started at once. Three workers, so that each
/// kill can take the oldest one: it has finished tasks (its execution log shows it) and the queue still has ready
/// messages, so it holds a full prefetch window (tasks running, waiting, stored but not yet acknowledged). Time to
/// recover: from a kill until its replacement has finished a task (the longest).
/// </summary>
internal sealed class WorkerKillScenario : IFaultScenario
{
    private const int WorkerCount = 3;

    public string Id => "kill";

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var options = run.Options;
        var kills = options.Pick(6, 3);
        var interval = options.Pick(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2.5));
        // Three workers run about 24 / 0.04 = 600 of these a second at best: the load outlasts the kills.
        var tasks = options.Pick(20_000, 5_000);
        var name = $"worker SIGKILL ×{kills} every {interval.TotalSeconds:0.#} s, {tasks:N0} tasks";
        var outcome = await LoadScenario.RunAsync(run, Id, name, tasks, 0.04, 0.05,
            async (context, monitor, workers, ct) =>
            {
                var inHand = 0;
                var replacements = new List<Task<TimeSpan?>>();
                var clock = Stopwatch.StartNew();
                for (var kill = 0; kill < kills; kill++)
                {
                    var next = interval * (kill + 1) - clock.Elapsed;
                    if (next > TimeSpan.Zero)
                    {
                        await Task.Delay(next, ct).ConfigureAwait(false);
                    }

                    // The oldest worker: started longest ago, so most likely consuming by now.
                    var victim = workers[0];
                    var ready = await context.ReadyCountAsync(cancellationToken: ct).ConfigureAwait(false);
                    var busy = ready > 0 && context.HasExecuted(victim);
                    inHand += busy ? 1 : 0;
                    await victim.KillAsync().ConfigureAwait(false);
                    var killed = Stopwatch.StartNew();
                    workers.RemoveAt(0);
                    var replacement = context.StartWorker();
                    workers.Add(replacement);
                    replacements.Add(context.WaitForFirstExecutionAsync(replacement, killed, ct));
                    await context.WriteAsync($"kill {kill + 1} at {clock.Elapsed.TotalSeconds:0.0} s: {ready:N0} ready in the queue, the victim {(busy ? "had" : "had NOT yet")} run tasks").ConfigureAwait(false);
                }

                var back = await Task.WhenAll(replacements).ConfigureAwait(false);
                var worst = back.Max();
                return (worst, string.Create(CultureInfo.InvariantCulture,
                    $"{inHand} of {kills} kills of a worker holding a full prefetch window; 3 workers; a replacement finished its first task {back.Min()?.TotalSeconds:0.0}–{worst?.TotalSeconds:0.0} s after its kill"));
            }, cancellationToken, workerCount: WorkerCount).ConfigureAwait(false);
        return [outcome];
    }
}
