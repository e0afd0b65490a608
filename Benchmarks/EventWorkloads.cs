using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Benchmarks;

/// <summary>
/// W1E: W1's end-to-end measurement with the worker's Celery task events on (<c>Worker:Events</c>, Celery's <c>-E</c>):
/// what switching events on costs the worker and the broker. No monitor reads them in this process (a monitor's own
/// parsing would be measured as the worker's cost; where Flower reads them, the broker also delivers each batch once
/// more). Run it next to W1 in the same session (<c>--only W1,W1E</c>); the report compares the two rows.
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
        using var counter = new TaskCounter(queue);
        var dispatcher = host.Services.GetRequiredService<EventDispatcher>();
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
        var (published, dropped) = (dispatcher.Published, dispatcher.Dropped);
        await log.WriteLineAsync(FormattableString.Invariant($"  W1E end to end with events: {count} in {executed.TotalSeconds:0.00} s = {endToEnd:N0}/s; events published {published:N0}, dropped {dropped:N0}"))
            .ConfigureAwait(false);

        return new BenchmarkRow
        {
            Id = "W1E",
            Workload = FormattableString.Invariant($"W1 with the worker's task events on: {count:N0} no-ops, {options.Publishers} sends in flight, worker concurrency {options.Concurrency}"),
            Target = "≥ 90 % of W1 in the same run",
            Measured = FormattableString.Invariant($"{BenchmarkReport.Rate(endToEnd)} ({published:N0} events published, {dropped:N0} dropped)"),
            Pass = null,
            Reference = "W1's row of the same run",
            Notes = FormattableString.Invariant($"CPU of the measuring process (client + worker): {cpuPerTask:N0} µs per task{brokerNote}."),
            Values = new Dictionary<string, double>
            {
                ["cpuMicrosecondsPerTask"] = cpuPerTask,
                ["tasksPerSecond"] = endToEnd,
                ["eventsPublished"] = published,
                ["eventsDropped"] = dropped,
                ["tasks"] = count,
            },
        };
    }
}
