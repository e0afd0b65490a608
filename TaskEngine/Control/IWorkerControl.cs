using System.Text.Json;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// Celery's remote control ("pidbox") from .NET: broadcasts a command to every worker of the fleet (ours and Python
/// Celery's alike) on the <c>celery.pidbox</c> fanout exchange and collects the replies each node sends back, as
/// <c>celery inspect …</c> and <c>celery control …</c> do. Registered by <c>AddWorkerControl()</c>; usable from any
/// service, not only from workers.
/// </summary>
/// <remarks>
/// Replies are collected as Celery collects them: until no further reply arrived for
/// <see cref="ControlOptions.Timeout"/>, or until every node of <see cref="ControlOptions.Destination"/> (or
/// <see cref="ControlOptions.Limit"/> nodes) answered. A node that does not answer in time is simply absent from the
/// list. A reply a worker could not produce carries <see cref="WorkerReply{T}.Error"/>.
/// </remarks>
public interface IWorkerControl
{
    /// <summary>
    /// Sends any command and returns each node's raw reply: the escape hatch for commands and reply fields the typed
    /// methods do not model. <paramref name="arguments"/> is serialized as the command's JSON <c>arguments</c> object.
    /// </summary>
    Task<IReadOnlyList<WorkerReply<JsonElement>>> BroadcastAsync(
        string command, IReadOnlyDictionary<string, object?>? arguments = null, ControlOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Sends a command without asking for replies (Celery's <c>broadcast(reply=False)</c>).</summary>
    Task CastAsync(
        string command, IReadOnlyDictionary<string, object?>? arguments = null, IReadOnlyList<string>? destination = null,
        CancellationToken cancellationToken = default);

    /// <summary><c>inspect ping</c>: every live node answers <c>pong</c>.</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> PingAsync(ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect stats</c>: pid, uptime, pool size, prefetch count and tasks run per name.</summary>
    Task<IReadOnlyList<WorkerReply<WorkerStats>>> StatsAsync(ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect active</c>: the tasks each node is running now.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<TaskRequestInfo>>>> ActiveAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect reserved</c>: tasks each node has received (prefetched) but not started.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<TaskRequestInfo>>>> ReservedAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>inspect scheduled</c>: ETA/countdown tasks a node holds in memory until due. Our workers hold none (delays wait
    /// in broker delay queues), so they answer an empty list; Python workers list theirs.
    /// </summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<ScheduledTaskInfo>>>> ScheduledAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect registered</c>: the task names each node can run (with <c>[rate_limit=…]</c> style details where set).</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<string>>>> RegisteredAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect active_queues</c>: the queues each node consumes.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<QueueInfo>>>> ActiveQueuesAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect revoked</c>: the task ids each node knows as revoked.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyList<string>>>> RevokedAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect query_task</c>: for each id a node holds, whether it is active, reserved or ready, and the request.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyDictionary<string, TaskQueryResult>>>> QueryTaskAsync(
        IEnumerable<string> taskIds, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>inspect conf</c>: each node's (non-secret) configuration as name → JSON value.</summary>
    Task<IReadOnlyList<WorkerReply<IReadOnlyDictionary<string, JsonElement>>>> ConfAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>control revoke</c> (and, with <paramref name="terminate"/>, <c>control terminate</c>): every node remembers
    /// the ids as revoked, so they are discarded on receipt; with <paramref name="terminate"/> a node also stops the
    /// ones it is running (ours cancel the handler's token and store REVOKED; Python's signal the pool process with
    /// <paramref name="signal"/>, default <c>SIGTERM</c>).
    /// </summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> RevokeAsync(
        IEnumerable<string> taskIds, bool terminate = false, string? signal = null, ControlOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary><c>control rate_limit</c>: sets a task's per-worker rate (<c>10/s</c>, <c>5/m</c>, <c>1/h</c>; null or "0" removes it).</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> RateLimitAsync(
        string taskName, string? rateLimit, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control time_limit</c>: sets a task's soft and hard time limits (null removes one).</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> TimeLimitAsync(
        string taskName, TimeSpan? soft, TimeSpan? hard, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control add_consumer</c>: nodes start consuming <paramref name="queue"/> (declared if missing).</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> AddConsumerAsync(
        string queue, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control cancel_consumer</c>: nodes stop consuming <paramref name="queue"/>.</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> CancelConsumerAsync(
        string queue, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control pool_grow</c>: nodes run <paramref name="count"/> more tasks at once.</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> PoolGrowAsync(
        int count = 1, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control pool_shrink</c>: nodes run <paramref name="count"/> fewer tasks at once (never fewer than one).</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> PoolShrinkAsync(
        int count = 1, ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control enable_events</c>: nodes start sending task events.</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> EnableEventsAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary><c>control disable_events</c>: nodes stop sending task events (worker events continue).</summary>
    Task<IReadOnlyList<WorkerReply<ControlResult>>> DisableEventsAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// <c>control shutdown</c>: the nodes stop gracefully (ours finish or requeue running tasks and exit with code 0).
    /// Celery's workers send no reply to it, so this only sends the command; pass a <paramref name="destination"/>
    /// unless the whole fleet is meant.
    /// </summary>
    Task ShutdownAsync(IReadOnlyList<string>? destination = null, CancellationToken cancellationToken = default);
}
