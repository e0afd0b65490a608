namespace Onboarding.Faults.Scenarios;

/// <summary>
/// A worker SIGKILLed every few seconds under load, each time while the queue still has ready messages (so the killed
/// worker holds a full prefetch window: tasks running, tasks waiting, results stored but not yet acknowledged), and a
/// replacement started at once. Time to recover: from a kill until the replacement consumes (the longest).
/// </summary>
internal sealed class WorkerKillScenario : IFaultScenario
{
    public string Id => "kill";

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var options = run.Options;
        var kills = options.Pick(6, 3);
        var interval = options.Pick(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2.5));
        // Two workers run about 16 / 0.04 = 400 of these a second at best: the load outlasts the kills.
        var tasks = options.Pick(20_000, 5_000);
        var outcome = await LoadScenario.RunAsync(run, Id, $"worker SIGKILL ×{kills}, ≥ {interval.TotalSeconds:0.#} s apart, {tasks:N0} tasks", tasks, 0.04, 0.02,
            async (context, monitor, workers, ct) =>
            {
                TimeSpan worst = default;
                var inHand = 0;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                for (var kill = 0; kill < kills; kill++)
                {
                    // Kill to kill, not counting the replacement's start.
                    var next = interval * (kill + 1) - clock.Elapsed;
                    if (next > TimeSpan.Zero)
                    {
                        await Task.Delay(next, ct).ConfigureAwait(false);
                    }

                    var ready = await context.ReadyCountAsync(cancellationToken: ct).ConfigureAwait(false);
                    inHand += ready > 0 ? 1 : 0;
                    var victim = kill % workers.Count;
                    await workers[victim].KillAsync().ConfigureAwait(false);
                    workers[victim] = context.StartWorker();
                    var back = await context.WaitForConsumersAsync(workers.Count, ct).ConfigureAwait(false);
                    worst = back > worst ? back : worst;
                    await context.WriteAsync($"kill {kill + 1}: {ready:N0} ready in the queue, replacement consuming after {LoadScenario.Seconds(back)}").ConfigureAwait(false);
                }

                var every = clock.Elapsed.TotalSeconds / kills;
                return (worst, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{inHand} of {kills} kills with a full prefetch window in hand; a kill every {every:0.0} s on average (the next waits until the replacement consumes)"));
            }, cancellationToken).ConfigureAwait(false);
        return [outcome];
    }
}
