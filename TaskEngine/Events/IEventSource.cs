using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// The broker seam of event subscriptions: a service's one queue, bound to its patterns on the events exchange, and
/// its deliveries (<c>RabbitMq/RabbitMqEventSource</c> in production).
/// </summary>
internal interface IEventSource
{
    /// <summary>
    /// Consumes <paramref name="queue"/>, bound to <paramref name="patterns"/>, with up to <paramref name="concurrency"/>
    /// deliveries handled at once, until <paramref name="stoppingToken"/> fires. <paramref name="handle"/> returns true
    /// to ack a delivery and false to put it back; an exception puts it back too, and a delivery interrupted by
    /// stopping is left for the broker to redeliver. <paramref name="started"/> runs each time consuming (re)starts.
    /// </summary>
    Task ConsumeAsync(
        string queue,
        IReadOnlyCollection<string> patterns,
        int concurrency,
        Func<TaskDelivery, CancellationToken, Task<bool>> handle,
        Action started,
        CancellationToken stoppingToken);
}
