namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// Reads Celery's monitoring events (what <c>celery events</c> and Flower consume) from the <c>celeryev</c> topic
/// exchange: worker-online/heartbeat/offline and the task lifecycle of every worker in the fleet that sends events,
/// ours and Python Celery's. Registered by <c>AddWorkerControl()</c>.
/// </summary>
public interface ICeleryEventReader
{
    /// <summary>
    /// Streams events live until <paramref name="cancellationToken"/> fires. Each call binds its own auto-deleting
    /// queue (<c>celeryev.&lt;uuid&gt;</c>, as Celery's receivers do) with <paramref name="routingKey"/>, a topic pattern
    /// over the event type with <c>-</c> as <c>.</c>: <c>#</c> (all), <c>task.#</c>, <c>worker.#</c>,
    /// <c>worker.heartbeat</c>. Task events that workers send in batches (<c>task.multi</c>) arrive one by one; a
    /// batch is matched by <c>task.#</c> and <c>#</c>, not by e.g. <c>task.failed</c>, so narrow patterns are best
    /// combined with a check of <see cref="CeleryEvent.Type"/>. Events sent while nobody reads are not kept.
    /// If the connection drops, the stream re-binds and continues (events sent meanwhile are lost, as in Celery).
    /// </summary>
    IAsyncEnumerable<CeleryEvent> ReadAsync(string routingKey = "#", CancellationToken cancellationToken = default);
}
