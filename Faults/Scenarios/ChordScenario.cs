using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.Faults.Scenarios;

/// <summary>What hits a running chord header.</summary>
internal enum ChordFault
{
    /// <summary>Two worker SIGKILLs, at 25 % and 60 % of the header, each replaced at once.</summary>
    WorkerKills,

    /// <summary>Redis stopped for 2 s at 30 %.</summary>
    RedisBlip,

    /// <summary>
    /// On a three-node cluster of its own with quorum queues: the node leading the header's queue SIGKILLed at 30 %,
    /// left down, and started again.
    /// </summary>
    NodeLoss,
}

/// <summary>
/// A chord of <c>diagnostics.record(0.5)</c> parts (long enough that the faults hit a running header) with a
/// <c>diagnostics.xsum</c> callback, under a <see cref="ChordFault"/>. The callback goes to a queue nobody consumes
/// until the header is done, so the number of messages there is the number of times it was sent; then a worker runs
/// it and its stored value is checked.
/// </summary>
internal sealed class ChordScenario(string id, ChordFault fault) : IFaultScenario
{
    private const double PartSeconds = 0.5;

    public string Id => id;

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var size = run.Options.Pick(300, 100);
        var down = run.Options.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        var name = fault switch
        {
            ChordFault.RedisBlip => $"chord of {size}, Redis stopped 2 s",
            ChordFault.NodeLoss => $"chord of {size}, queue leader SIGKILLed, {down.TotalSeconds:0} s down, 3-node cluster, quorum queues",
            _ => $"chord of {size}, 2 worker SIGKILLs",
        };
        await using var cluster = fault == ChordFault.NodeLoss ? await StartClusterAsync(run, cancellationToken).ConfigureAwait(false) : null;
        run = cluster is null ? run : run with { Servers = cluster };
        await using var context = await run.StartScenarioAsync(id, cancellationToken, concurrency: 4).ConfigureAwait(false);
        var bodyQueue = context.Queue + ".body";

        // Declared through the engine, as the workers and the callback's publish declare it: a quorum queue's arguments
        // (its dead-letter queue included) must be the same for every declarer, or the broker refuses the declare.
        await context.Driver.Services.GetRequiredService<RabbitMqBroker>().EnsureQueueAsync(bodyQueue, cancellationToken).ConfigureAwait(false);

        var workers = Enumerable.Range(0, LoadScenario.Workers).Select(_ => context.StartWorker()).ToList();
        await context.WaitForConsumersAsync(workers.Count, cancellationToken).ConfigureAwait(false);

        var header = Enumerable.Range(0, size).Select(_ => (Signature)Signature.Create(DiagnosticTasks.Record, PartSeconds)).ToArray();
        var body = Signature.Create(DiagnosticTasks.Xsum).WithOptions(o => o with { Queue = bodyQueue });
        var chord = await context.Driver.Workflows.ApplyAsync(Chord.Of(header, body), cancellationToken).ConfigureAwait(false);
        var parts = ((GroupResult)chord.Parent!).Children.Select(c => c.Id).ToList();
        await context.WriteAsync($"applied a chord of {size} parts, callback {chord.Id}").ConfigureAwait(false);

        TimeSpan? recover = null;
        var faultNote = string.Empty;
        await using (var monitor = new ResultMonitor(context.Driver.Redis, parts))
        {
            if (fault == ChordFault.NodeLoss)
            {
                await UntilAsync(() => monitor.Succeeded >= size * 0.3, cancellationToken).ConfigureAwait(false);
                (recover, faultNote) = await LoseLeaderAsync(cluster!, context, monitor, size, down, cancellationToken).ConfigureAwait(false);
            }
            else if (fault == ChordFault.RedisBlip)
            {
                await UntilAsync(() => monitor.Succeeded >= size * 0.3, cancellationToken).ConfigureAwait(false);
                await run.Servers.StopRedisAsync(cancellationToken).ConfigureAwait(false);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                await run.Servers.StartRedisAsync(cancellationToken).ConfigureAwait(false);
                recover = await monitor.WaitForCompletionAfterAsync(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                foreach (var (share, victim) in new[] { (0.25, 0), (0.6, 1) })
                {
                    await UntilAsync(() => monitor.Succeeded >= size * share, cancellationToken).ConfigureAwait(false);
                    await workers[victim].KillAsync().ConfigureAwait(false);
                    workers[victim] = context.StartWorker();
                    var back = await context.WaitForConsumersAsync(workers.Count, cancellationToken).ConfigureAwait(false);
                    recover = recover > back ? recover : back;
                }
            }

            await monitor.WaitUntilSettledAsync(TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5), () => 0, cancellationToken).ConfigureAwait(false);
        }

        // The header is done; give a duplicate callback every chance to show up before counting.
        await UntilAsync(async () => await context.ReadyCountAsync(cancellationToken: cancellationToken).ConfigureAwait(false) == 0, cancellationToken).ConfigureAwait(false);
        await UntilAsync(async () => await CountBodiesAsync(context, bodyQueue, cancellationToken).ConfigureAwait(false) > 0, cancellationToken, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var sent = await CountBodiesAsync(context, bodyQueue, cancellationToken).ConfigureAwait(false);

        // Now a worker runs the callback, once, and its value is checked.
        context.AddQueue(bodyQueue);
        context.StartWorker();
        var expected = Enumerable.Repeat(PartSeconds, size).Sum();
        await using var all = new ResultMonitor(context.Driver.Redis, [.. parts, chord.Id]);
        var outcome = await context.CountAsync([.. parts, chord.Id], all, recover, string.Empty, cancellationToken).ConfigureAwait(false);
        var value = all.Results.TryGetValue(chord.Id, out var callback) && callback.Status == "SUCCESS" && callback.Result.ValueKind == JsonValueKind.Number
            ? callback.Result.GetDouble()
            : (double?)null;
        var correct = value is { } v && Math.Abs(v - expected) < 1e-6;
        var note = $"callback sent {sent}×, value {(value is { } x ? x.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "none")} (expected {expected:0.###}{(correct ? ", correct" : ", WRONG")})";
        await context.WriteAsync(note).ConfigureAwait(false);
        return
        [
            outcome with
            {
                Scenario = name,
                DuplicateCallbacks = Math.Max(0, (int)sent - 1),
                Notes = string.Join("; ", new[] { note, faultNote, outcome.Notes }.Where(n => n.Length > 0)),
                // A callback that succeeded with the wrong value is as wrong as a FAILURE.
                WronglyFailed = outcome.WronglyFailed + (callback is { Status: "SUCCESS" } && !correct ? 1 : 0),
            },
        ];
    }

    private static async Task<FaultServers> StartClusterAsync(FaultRun run, CancellationToken cancellationToken)
    {
        await run.Log.WriteLineAsync("  chord: starting a three-node cluster").ConfigureAwait(false);
        return await FaultServers.StartAsync(run.Log, cancellationToken, rabbitMQNodes: 3).ConfigureAwait(false);
    }

    /// <summary>
    /// SIGKILLs the node leading the header's queue, waits until parts delivered after the loss finish (or the header
    /// is done), keeps the node down for <paramref name="down"/> from the kill, and starts it again.
    /// </summary>
    private static async Task<(TimeSpan? Recover, string Notes)> LoseLeaderAsync(
        FaultServers cluster, ScenarioContext context, ResultMonitor monitor, int size, TimeSpan down, CancellationToken cancellationToken)
    {
        var leader = await cluster.QueueLeaderAsync(context.Queue, cancellationToken).ConfigureAwait(false);
        var at = monitor.Succeeded;
        await context.WriteAsync($"killing {leader.Name}, the leader of {context.Queue}, at {at} of {size} parts").ConfigureAwait(false);
        var killedAt = DateTimeOffset.UtcNow;
        FaultServers.KillNode(leader);
        // The parts the workers held when the node went may finish at once; one more was delivered after the loss.
        var held = LoadScenario.Workers * context.Setup.Concurrency * new TaskWorkerOptions().PrefetchMultiplier;
        var recover = await monitor.WaitForCompletionsAfterAsync(killedAt, held + 1, TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
        var downFor = killedAt + down - DateTimeOffset.UtcNow;
        if (downFor > TimeSpan.Zero)
        {
            await Task.Delay(downFor, cancellationToken).ConfigureAwait(false);
        }

        var rejoin = await cluster.StartNodeAsync(leader, cancellationToken).ConfigureAwait(false);
        var note = $"{leader.Name} (the header queue's leader) SIGKILLed with {at} of {size} parts done, down "
            + $"{LoadScenario.Seconds(DateTimeOffset.UtcNow - killedAt - rejoin)}, rejoined {LoadScenario.Seconds(rejoin)} after its start";
        await context.WriteAsync(note).ConfigureAwait(false);
        return (recover, note);
    }

    private static async Task<uint> CountBodiesAsync(ScenarioContext context, string queue, CancellationToken cancellationToken)
    {
        try
        {
            return await context.ReadyCountAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        catch (RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            return 0;   // not declared yet (the callback was never sent), or the driver's connection is still recovering
        }
    }

    private static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken) =>
        UntilAsync(() => Task.FromResult(condition()), cancellationToken);

    private static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (!await HoldsAsync(condition).ConfigureAwait(false) && elapsed.Elapsed < (timeout ?? TimeSpan.FromMinutes(3)))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    // A broker that is failing over does not answer yet: ask again.
    private static async Task<bool> HoldsAsync(Func<Task<bool>> condition)
    {
        try
        {
            return await condition().ConfigureAwait(false);
        }
        catch (RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            return false;
        }
    }
}
