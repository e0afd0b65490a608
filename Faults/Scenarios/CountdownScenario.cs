using System.Diagnostics;
using System.Globalization;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// Tasks sent from Python with a countdown; their only worker is SIGKILLed while they wait (in the broker's delay
/// queues) and started again before, or after, the due time. Each must run once, not before it is due. Time to
/// recover: from the later of the due time and the restart until the first task succeeds.
/// </summary>
internal sealed class CountdownScenario : IFaultScenario
{
    public string Id => "countdown";

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken) =>
    [
        await RunAsync(run, restartBeforeDue: true, cancellationToken).ConfigureAwait(false),
        await RunAsync(run, restartBeforeDue: false, cancellationToken).ConfigureAwait(false),
    ];

    private static async Task<FaultOutcome> RunAsync(FaultRun run, bool restartBeforeDue, CancellationToken cancellationToken)
    {
        var countdown = run.Options.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(6));
        var tasks = run.Options.Pick(50, 20);
        await using var context = await run.StartScenarioAsync(restartBeforeDue ? "countdown-before" : "countdown-after", cancellationToken).ConfigureAwait(false);
        var worker = context.StartWorker();
        await context.WaitForConsumersAsync(1, cancellationToken).ConfigureAwait(false);

        var ids = ScenarioContext.NewIds(tasks);
        await using var monitor = new ResultMonitor(context.Driver.Redis, ids);
        var clock = Stopwatch.StartNew();
        var sentAt = DateTimeOffset.UtcNow;
        await context.SendFromPythonAsync(ids, DiagnosticTasks.Record, "[0]", countdown.TotalSeconds, cancellationToken).ConfigureAwait(false);
        var due = countdown;   // measured from before the first send: no task may run before this

        // The worker takes each message and parks it in a delay queue; kill it once the task queue is empty.
        while (await context.ReadyCountAsync(cancellationToken: cancellationToken).ConfigureAwait(false) > 0)
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        await worker.KillAsync().ConfigureAwait(false);
        var restartAt = restartBeforeDue ? clock.Elapsed + TimeSpan.FromSeconds(2) : due + TimeSpan.FromSeconds(3);
        await Task.Delay(restartAt - clock.Elapsed, cancellationToken).ConfigureAwait(false);
        context.StartWorker();
        var restarted = clock.Elapsed;
        await context.WaitForConsumersAsync(1, cancellationToken).ConfigureAwait(false);

        // Every task's date_done, measured from before the first send: none may be before the countdown.
        var first = await monitor.WaitForCompletionAfterAsync(sentAt, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        var from = restarted > due ? restarted : due;
        TimeSpan? recover = first is { } f ? (f > from ? f - from : TimeSpan.Zero) : null;
        var early = first < due;
        var notes = string.Create(CultureInfo.InvariantCulture,
            $"countdown {countdown.TotalSeconds:0} s; killed while waiting, restarted {(restartBeforeDue ? "before" : "after")} the due time (at {restarted.TotalSeconds:0.0} s); first ran at {(first is { } ran ? $"{ran.TotalSeconds:0.0} s" : "never")}{(early ? " — BEFORE it was due" : string.Empty)}");
        var outcome = await context.CountAsync(ids, monitor, recover, notes, cancellationToken).ConfigureAwait(false);
        return outcome with
        {
            Scenario = $"countdown, worker killed in the wait, back {(restartBeforeDue ? "before" : "after")} due",
            // A task run before its due time is a wrong outcome too.
            WronglyFailed = outcome.WronglyFailed + (early ? 1 : 0),
        };
    }
}
