namespace Onboarding.TaskEngine.Events;

/// <summary>
/// Handles one event type for the subscribing service. Resolved from a DI scope per event. An exception means
/// "not handled": the event is retried through the broker with backoff, then dead-lettered.
/// </summary>
public interface IEventHandler<in TEvent>
{
    Task HandleAsync(TEvent payload, EventContext context, CancellationToken cancellationToken);
}

/// <summary>What a handler knows about the event it handles.</summary>
public sealed record EventContext(EventEnvelope Envelope, int Attempt, string Subscriber);
