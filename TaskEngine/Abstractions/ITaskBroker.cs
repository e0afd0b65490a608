using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// The broker seam on the publishing side: what the client, the executor, the workflow runtime, events and the
/// scheduler ask of a message broker (RabbitMQ in production, <c>RabbitMq/</c>).
/// </summary>
internal interface ITaskBroker
{
    /// <summary>The shortest delay worth a trip through the broker; a message due within it runs now.</summary>
    TimeSpan MinDelay { get; }

    /// <summary>Declares the work queues and the dead-letter queue (idempotent).</summary>
    Task DeclareTopologyAsync(IEnumerable<string> queues, CancellationToken cancellationToken);

    /// <summary>Declares one queue (idempotent; once per process).</summary>
    Task EnsureQueueAsync(string queue, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a task message to <paramref name="queue"/>, confirmed, or holds it in the broker until its ETA
    /// when that is ahead. Throws when the broker did not take it.
    /// </summary>
    Task PublishAsync(TaskMessage message, string queue, CancellationToken cancellationToken);

    /// <summary>Sends a delivered message, unchanged, back to its queue after <paramref name="remaining"/>.</summary>
    Task DelayAsync(TaskDelivery delivery, TimeSpan remaining, CancellationToken cancellationToken);

    /// <summary>Copies a delivered message to the dead-letter queue with the reason (the caller then acks it).</summary>
    Task DeadLetterAsync(TaskDelivery delivery, string reason, string? exception, CancellationToken cancellationToken);
}
