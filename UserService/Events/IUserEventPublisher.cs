using System.Text.Json;
using Onboarding.Contracts.Events;
using Onboarding.TaskEngine.Events;

namespace Onboarding.UserService.Events;

/// <summary>Publishes the seed's user events (<see cref="UserEventTypes"/>) in the seed's envelope.</summary>
internal interface IUserEventPublisher
{
    Task PublishAsync<TData>(UserEventEnvelope<TData> envelope, CancellationToken cancellationToken = default);
}

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

/// <summary>Builds envelopes with this service as the source.</summary>
internal static class UserEvents
{
    public const string SourceService = "user_service";

    /// <summary>Event data as the seed writes it: snake_case keys (user_id, changed_fields, ...).</summary>
    public static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static UserEventEnvelope<TData> Create<TData>(string eventType, string userId, TData data, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new UserEventEnvelope<TData>(Guid.CreateVersion7(now).ToString(), eventType, userId, data, now, SourceService);
    }
}
