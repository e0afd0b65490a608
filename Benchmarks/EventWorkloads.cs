using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Benchmarks;

/// <summary>
/// W1E: W1's end-to-end measurement with the worker's Celery task events on (<c>Worker:Events</c>, Celery's <c>-E</c>)
/// and a monitor reading them, as Flower or <c>celery events</c> would: what switching events on costs. Run it next to
/// W1 in the same session (<c>--only W1,W1E</c>) and compare the two rows.
/// </summary>
internal static class EventWorkloads
{
    private static readonly TimeSpan LongWait = TimeSpan.FromMinutes(5);
    private static readonly TaskSendOptions FireAndForget = new() { IgnoreResult = true };

    public static async Task<BenchmarkRow> FireAndForgetWithEventsAsync(
        BenchmarkInfrastructure infrastructure, BenchmarkOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var count = options.Scale(20_000);
        var queue = EngineHost.NewQueueName("w1e");
        await using var host = await EngineHost.StartAsync(infrastructure, queue, worker: true, options.Concurrency, cancellationToken, events: true)
            .ConfigureAwait(false);
        await using var monitor = await EngineHost.StartAsync(infrastructure, EngineHost.NewQueueName("w1e-monitor"), worker: false, 1, cancellationToken)
            .ConfigureAwait(false);
        using var counter = new TaskCounter(queue);
        using var stopMonitor = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var succeededEvents = 0L;
        var reading = ReadEventsAsync(monitor.Services.GetRequiredService<ICeleryEventReader>(), () => Interlocked.Increment(ref succeededEvents), stopMonitor.Token);
        var client = host.Client;

        var warmUp = Math.Min(count, 5_000);
        await Workloads.ForEachConcurrentAsync(warmUp, options.Publishers, _ => client.SendAsync(DiagnosticTasks.Noop, options: FireAndForget, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await counter.WaitForAsync(warmUp, LongWait, cancellationToken).ConfigureAwait(false);

        var cpu = Workloads.CpuTime();
        var brokerCpu = Workloads.BrokerCpuTime();
        var stopwatch = Stopwatch.StartNew();
        await Workloads.ForEachConcurrentAsync(count, options.Publishers, _ => client.SendAsync(DiagnosticTasks.Noop, options: FireAndForget, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await counter.WaitForAsync(warmUp + count, LongWait, cancellationToken).ConfigureAwait(false);
        var executed = stopwatch.Elapsed;
        var cpuPerTask = (Workloads.CpuTime() - cpu).TotalMicroseconds / count;
        var brokerNote = Workloads.BrokerCpuNote(brokerCpu, count, "task with its three events");
        var endToEnd = count / executed.TotalSeconds;
        var dropped = host.Services.GetRequiredService<EventDispatcher>().Dropped;
        await stopMonitor.CancelAsync().ConfigureAwait(false);
        await reading.ConfigureAwait(false);
        await log.WriteLineAsync(FormattableString.Invariant($"  W1E end to end with events: {count} in {executed.TotalSeconds:0.00} s = {endToEnd:N0}/s; monitor saw {succeededEvents:N0} task-succeeded, dispatcher dropped {dropped:N0}"))
            .ConfigureAwait(false);

        return new BenchmarkRow
        {
            Id = "W1E",
            Workload = FormattableString.Invariant($"W1 with task events on and a monitor reading them: {count:N0} no-ops, {options.Publishers} sends in flight, worker concurrency {options.Concurrency}"),
            Target = "≥ 90 % of W1 in the same run",
            Measured = FormattableString.Invariant($"{BenchmarkReport.Rate(endToEnd)} (monitor received {succeededEvents:N0} task-succeeded events of {count + warmUp:N0}; {dropped:N0} events dropped)"),
            Pass = null,
            Reference = "W1's row of the same run",
            Notes = FormattableString.Invariant($"CPU of the measuring process (client + worker + monitor): {cpuPerTask:N0} µs per task{brokerNote}."),
            Values = new Dictionary<string, double>
            {
                ["cpuMicrosecondsPerTask"] = cpuPerTask,
                ["tasksPerSecond"] = endToEnd,
                ["succeededEventsSeen"] = succeededEvents,
                ["eventsDropped"] = dropped,
                ["tasks"] = count,
            },
        };
    }

    private static async Task ReadEventsAsync(ICeleryEventReader reader, Action onSucceeded, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var celeryEvent in reader.ReadAsync("task.#", cancellationToken).ConfigureAwait(false))
            {
                if (celeryEvent.Type == CeleryEventTypes.TaskSucceeded)
                {
                    onSucceeded();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The workload is over.
        }
    }
}
