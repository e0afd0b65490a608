using Onboarding.TaskEngine.Control;

namespace Onboarding.OperationsConsole.Fleet;

/// <summary>
/// Builds the Workers page from two sources: the heartbeats (every node that ever sent events, online or not) and one
/// round of Celery's inspect commands, sent in parallel (stats, active, reserved, registered, active_queues).
/// </summary>
public sealed class FleetInspector(IWorkerControl control, WorkerHeartbeats heartbeats, TimeProvider time)
{
    public async Task<IReadOnlyList<WorkerView>> GetWorkersAsync(CancellationToken cancellationToken)
    {
        var known = await heartbeats.GetAllAsync().ConfigureAwait(false);
        var now = time.GetUtcNow();
        var online = known.Count(h => h.IsOnline(now));
        // Collection ends when every node known to be online answered, or after a quiet 700 ms for the others.
        var options = new ControlOptions { Timeout = TimeSpan.FromMilliseconds(700), Limit = online > 0 ? online : null };
        var stats = control.StatsAsync(options, cancellationToken);
        var active = control.ActiveAsync(options, cancellationToken);
        var reserved = control.ReservedAsync(options, cancellationToken);
        var registered = control.RegisteredAsync(options, cancellationToken);
        var queues = control.ActiveQueuesAsync(options, cancellationToken);
        await Task.WhenAll(stats, active, reserved, registered, queues).ConfigureAwait(false);

        static Dictionary<string, T?> ByNode<T>(IReadOnlyList<WorkerReply<T>> replies) =>
            replies.Where(r => r.IsSuccess).GroupBy(r => r.Node, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        var statsBy = ByNode(await stats.ConfigureAwait(false));
        var activeBy = ByNode(await active.ConfigureAwait(false));
        var reservedBy = ByNode(await reserved.ConfigureAwait(false));
        var registeredBy = ByNode(await registered.ConfigureAwait(false));
        var queuesBy = ByNode(await queues.ConfigureAwait(false));

        var nodes = known.Select(h => h.Node).Concat(statsBy.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return [.. nodes.Select(node =>
        {
            var heartbeat = known.FirstOrDefault(h => h.Node == node);
            var stat = statsBy.GetValueOrDefault(node);
            return new WorkerView
            {
                Node = node,
                Answered = stat is not null,
                Online = stat is not null || (heartbeat?.IsOnline(now) ?? false),
                Heartbeat = heartbeat,
                Concurrency = stat?.MaxConcurrency,
                PrefetchCount = stat?.PrefetchCount,
                Uptime = stat?.Uptime,
                Pid = stat?.Pid,
                Processed = stat?.Total.Values.Sum() ?? heartbeat?.Processed ?? 0,
                Queues = [.. (queuesBy.GetValueOrDefault(node) ?? []).Select(q => q.Name)],
                Active = activeBy.GetValueOrDefault(node) ?? [],
                Reserved = reservedBy.GetValueOrDefault(node) ?? [],
                Registered = registeredBy.GetValueOrDefault(node) ?? [],
            };
        })];
    }
}
