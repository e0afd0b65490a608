using System.Text.Json;
using Onboarding.Contracts.Events;
using Onboarding.TaskEngine.Events;

namespace Onboarding.UserService.Events;

/// <summary>
/// Publishes through the engine's <see cref="IEventPublisher"/>: the events topic exchange, routing key = event type,
/// one delivery per subscribing service, which handles it once per event id.
/// </summary>
internal sealed class EngineUserEvents(IEventPublisher events) : IUserEventPublisher
{
    public Task PublishAsync<TData>(UserEventEnvelope<TData> envelope, CancellationToken cancellationToken = default) =>
        events.PublishAsync(new EventEnvelope
        {
            EventId = envelope.EventId,
            EventType = envelope.EventType,
            UserId = envelope.UserId,
            Data = JsonSerializer.SerializeToElement(envelope.Data, UserEvents.DataJson),
            Timestamp = envelope.Timestamp,
            SourceService = envelope.SourceService,
        }, cancellationToken);
}
