using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using StackExchange.Redis;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// .NET publishers waiting on confirms while a node goes. A three-node cluster of its own with quorum queues; four
/// in-process senders (<see cref="ConfirmingPublisher"/>: the engine's client, each on its own connection), two
/// connected to the node leading the scenario's queue and two to the others, each with two loops that send
/// <c>diagnostics.record(0)</c> one at a time and wait for the confirm. The leader is SIGKILLed, left down and started
/// again while they keep sending. Every send must return (confirmed) or throw within <see cref="HangBound"/>, and every
/// confirmed task must succeed. Time to recover: from the kill until every sender has had a send confirmed that
/// started after it.
/// </summary>
internal sealed class ClusterPublishScenario : IFaultScenario
{
    /// <summary>A send that has neither returned nor thrown after this long counts as hung.</summary>
    public static readonly TimeSpan HangBound = TimeSpan.FromSeconds(30);

    private const int PublishersPerSide = 2;
    private const int LoopsPerPublisher = 2;

    // Confirmed sends each sender needs before the kill and after the rejoin: the load spans the whole failover.
    private const int SendsAround = 20;

    // Between one loop's sends: about 500 tasks/s from the eight loops, which two workers keep up with.
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(10);

    private static readonly IReadOnlyList<JsonElement> Args = [JsonSerializer.SerializeToElement(0.0)];

    public string Id => "cluster-publish";

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var down = run.Options.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        await run.Log.WriteLineAsync($"  {Id}: starting a three-node cluster").ConfigureAwait(false);
        await using var cluster = await FaultServers.StartAsync(run.Log, cancellationToken, rabbitMQNodes: 3).ConfigureAwait(false);
        await using var context = await (run with { Servers = cluster }).StartScenarioAsync(Id, cancellationToken).ConfigureAwait(false);
        await context.Driver.Services.GetRequiredService<RabbitMqBroker>().EnsureQueueAsync(context.Queue, cancellationToken).ConfigureAwait(false);
        var leader = await cluster.QueueLeaderAsync(context.Queue, cancellationToken).ConfigureAwait(false);
        for (var i = 0; i < LoadScenario.Workers; i++)
        {
            context.StartWorker();
        }

        await context.WaitForConsumersAsync(LoadScenario.Workers, cancellationToken).ConfigureAwait(false);
        var publishers = await StartPublishersAsync(context, leader.PrimaryEndpoint.Port, cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            var sends = new ConcurrentQueue<Send>();
            var hung = new ConcurrentBag<Task>();
            var clock = Stopwatch.StartNew();
            var loops = publishers
                .SelectMany((publisher, index) => Enumerable.Range(0, LoopsPerPublisher).Select(_ => SendLoopAsync(publisher, index, clock, sends, hung, stop.Token)))
                .ToList();

            await UntilEverySenderConfirmedAsync(sends, publishers.Count, TimeSpan.Zero, clock, cancellationToken).ConfigureAwait(false);
            await context.WriteAsync($"{publishers.Count} senders confirming; killing {leader.Name}, the leader of {context.Queue}").ConfigureAwait(false);
            var killedAt = clock.Elapsed;
            FaultServers.KillNode(leader);
            var downFor = killedAt + down - clock.Elapsed;
            if (downFor > TimeSpan.Zero)
            {
                await Task.Delay(downFor, cancellationToken).ConfigureAwait(false);
            }

            var rejoin = await cluster.StartNodeAsync(leader, cancellationToken).ConfigureAwait(false);
            var rejoinedAt = clock.Elapsed;
            await UntilEverySenderConfirmedAsync(sends, publishers.Count, rejoinedAt, clock, cancellationToken).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(loops).ConfigureAwait(false);

            // A hung send may still end: give it the bound once more, so the note can say how.
            await Task.WhenAny(Task.WhenAll(hung), Task.Delay(HangBound, cancellationToken)).ConfigureAwait(false);
            var all = sends.ToList();
            var confirmed = all.Where(s => s.Result == SendResult.Confirmed).Select(s => s.Id).ToList();
            var refused = all.Where(s => s.Result == SendResult.Refused).ToList();
            var hungCount = all.Count(s => s.Result == SendResult.Hung);
            var recover = RecoveryAfter(all, publishers.Count, killedAt);
            var longest = all.Where(s => s.End is not null).Max(s => s.End!.Value - s.Start);

            await using var monitor = new ResultMonitor(context.Driver.Redis, confirmed);
            var causes = publishers.SelectMany(p => p.RetryCauses).GroupBy(c => c.Key).Select(g => $"{g.Sum(c => c.Value)}× {g.Key}");
            var notes = string.Join("; ", new[]
            {
                $"{publishers.Count} .NET senders × {LoopsPerPublisher} loops ({PublishersPerSide} connected to {leader.Name}, the queue's leader); "
                    + $"{all.Count:N0} sends: {confirmed.Count:N0} confirmed, {refused.Count} refused (threw), {hungCount} hung over {HangBound.TotalSeconds:0} s",
                $"longest send {LoadScenario.Seconds(longest)}",
                $"{publishers.Sum(p => p.RetriedPublishes)} publishes retried on a new connection, marked possible duplicate"
                    + (causes.Any() ? $" (first failure: {string.Join(", ", causes)})" : string.Empty),
                $"{leader.Name} down {LoadScenario.Seconds(rejoinedAt - killedAt - rejoin)}, rejoined {LoadScenario.Seconds(rejoin)} after its start",
            }.Where(n => n.Length > 0));
            await context.WriteAsync(notes).ConfigureAwait(false);
            var outcome = await context.CountAsync(confirmed, monitor, recover, notes, cancellationToken).ConfigureAwait(false);
            if (refused.Count > 0)
            {
                // Counted once the confirmed tasks have settled: a refused send the broker took after all has run by then.
                var ran = await CountStoredAsync(context.Driver.Redis, refused.Select(s => s.Id)).ConfigureAwait(false);
                var refusals = $"refused: {string.Join(", ", refused.GroupBy(s => s.Error).Select(g => $"{g.Count()}× {g.Key}"))}, {ran} of them ran anyway";
                await context.WriteAsync(refusals).ConfigureAwait(false);
                outcome = outcome with { Notes = outcome.Notes + "; " + refusals };
            }

            return
            [
                outcome with
                {
                    Scenario = $".NET senders waiting on confirms, queue leader SIGKILLed, {down.TotalSeconds:0} s down, 3-node cluster, quorum queues",
                    Sent = all.Count,
                    HungSends = hungCount,
                },
            ];
        }
        finally
        {
            // The loops stop sending first, also when the scenario failed half-way.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var publisher in publishers)
            {
                await publisher.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private enum SendResult
    {
        Confirmed,
        Refused,
        Hung,
    }

    /// <summary>One send: when it started and ended on the scenario's clock (no end when it hung), and how.</summary>
    private sealed record Send(string Id, int Publisher, TimeSpan Start, TimeSpan? End, SendResult Result, string? Error = null);

    /// <summary>
    /// Senders until <see cref="PublishersPerSide"/> are connected to the leader's node and as many to the others (the
    /// client picks a node at random), so that both a connection loss and a leader election are under load.
    /// </summary>
    private static async Task<List<ConfirmingPublisher>> StartPublishersAsync(ScenarioContext context, int leaderPort, CancellationToken cancellationToken)
    {
        var onLeader = new List<ConfirmingPublisher>();
        var elsewhere = new List<ConfirmingPublisher>();
        for (var attempt = 0; attempt < 40 && (onLeader.Count < PublishersPerSide || elsewhere.Count < PublishersPerSide); attempt++)
        {
            var publisher = await ConfirmingPublisher.StartAsync(context, cancellationToken).ConfigureAwait(false);
            var side = publisher.FirstPort == leaderPort ? onLeader : elsewhere;
            if (side.Count < PublishersPerSide)
            {
                side.Add(publisher);
            }
            else
            {
                await publisher.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (onLeader.Count < PublishersPerSide || elsewhere.Count < PublishersPerSide)
        {
            foreach (var publisher in onLeader.Concat(elsewhere))
            {
                await publisher.DisposeAsync().ConfigureAwait(false);
            }

            throw new InvalidOperationException($"40 connections did not give {PublishersPerSide} on the leader's node and {PublishersPerSide} elsewhere.");
        }

        return [.. onLeader, .. elsewhere];
    }

    /// <summary>Sends one task at a time and waits for its confirm, until stopped; records how each send ended.</summary>
    private static async Task SendLoopAsync(
        ConfirmingPublisher publisher, int index, Stopwatch clock, ConcurrentQueue<Send> sends, ConcurrentBag<Task> hung, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var id = Guid.NewGuid().ToString();
            var start = clock.Elapsed;
            // No cancellation: a caller waiting on a confirm is what is measured.
            var send = publisher.Client.SendAsync(
                DiagnosticTasks.Record, Args, kwargs: null, options: new TaskSendOptions { TaskId = id }, cancellationToken: CancellationToken.None);
            try
            {
                await send.WaitAsync(HangBound, CancellationToken.None).ConfigureAwait(false);
                sends.Enqueue(new Send(id, index, start, clock.Elapsed, SendResult.Confirmed));
            }
            catch (TimeoutException) when (!send.IsCompleted)
            {
                sends.Enqueue(new Send(id, index, start, null, SendResult.Hung));
                hung.Add(send);
            }
            catch (Exception ex)
            {
                sends.Enqueue(new Send(id, index, start, clock.Elapsed, SendResult.Refused, ex.GetType().Name));
            }

            try
            {
                await Task.Delay(Pace, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Waits until every sender has <see cref="SendsAround"/> sends confirmed that started after <paramref name="since"/>.</summary>
    private static async Task UntilEverySenderConfirmedAsync(
        ConcurrentQueue<Send> sends, int publishers, TimeSpan since, Stopwatch clock, CancellationToken cancellationToken)
    {
        var deadline = clock.Elapsed + TimeSpan.FromMinutes(2);
        while (Enumerable.Range(0, publishers).Any(p => sends.Count(s => s.Publisher == p && s.Start >= since && s.Result == SendResult.Confirmed) < SendsAround))
        {
            if (clock.Elapsed > deadline)
            {
                throw new TimeoutException($"Not every sender had {SendsAround} sends confirmed within two minutes.");
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>From the kill until the last sender to do so had a send confirmed that started after it; null if one never did.</summary>
    private static TimeSpan? RecoveryAfter(IReadOnlyList<Send> sends, int publishers, TimeSpan killedAt)
    {
        var firsts = Enumerable.Range(0, publishers)
            .Select(p => sends.Where(s => s.Publisher == p && s.Start > killedAt && s.Result == SendResult.Confirmed).Select(s => s.End).Min())
            .ToList();
        return firsts.Any(f => f is null) ? null : firsts.Max() - killedAt;
    }

    /// <summary>How many of these tasks have a stored result.</summary>
    private static async Task<int> CountStoredAsync(IDatabase redis, IEnumerable<string> ids)
    {
        var keys = ids.Select(id => (RedisKey)("celery-task-meta-" + id)).ToArray();
        return keys.Length == 0 ? 0 : (await redis.StringGetAsync(keys).ConfigureAwait(false)).Count(v => v.HasValue);
    }
}
