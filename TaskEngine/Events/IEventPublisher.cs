namespace Onboarding.TaskEngine.Events;

/// <summary>Publishes integration events once to the events topic exchange, with the event type as routing key.</summary>
public interface IEventPublisher
{
    /// <summary>
    /// Wraps <paramref name="payload"/> in an <see cref="EventEnvelope"/> and publishes it (persistent, confirmed).
    /// Returns the envelope that was sent.
    /// </summary>
    Task<EventEnvelope> PublishAsync<TEvent>(
        string eventType,
        TEvent payload,
        EventPublishOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Publishes a ready envelope as is (a re-publish keeps its event id, so subscribers see a duplicate).</summary>
    Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken = default);
}

/// <summary>Per-call options of an event publish.</summary>
public sealed record EventPublishOptions
{
    /// <summary>An explicit event id (for an outbox re-publish); a new version 7 UUID otherwise.</summary>
    public string? EventId { get; init; }

    public string? UserId { get; init; }

    /// <summary>The envelope's <c>version</c>.</summary>
    public int Version { get; init; } = 1;
}
