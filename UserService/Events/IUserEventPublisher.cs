using Onboarding.Contracts.Events;

namespace Onboarding.UserService.Events;

/// <summary>
/// Publishes the seed's user events (<see cref="UserEventTypes"/>) in the seed's envelope. SEAM: the events work
/// implements this over the engine's <c>IEventPublisher</c> (topic exchange, one delivery per subscribing service);
/// until then <see cref="UnpublishedUserEvents"/> only logs.
/// </summary>
internal interface IUserEventPublisher
{
    Task PublishAsync<TData>(UserEventEnvelope<TData> envelope, CancellationToken cancellationToken = default);
}

/// <summary>INTERIM: logs each event it would publish (no subscriber sees it yet).</summary>
internal sealed class UnpublishedUserEvents(ILogger<UnpublishedUserEvents> logger) : IUserEventPublisher
{
    public Task PublishAsync<TData>(UserEventEnvelope<TData> envelope, CancellationToken cancellationToken = default)
    {
        UserServiceLog.EventNotPublished(logger, envelope.EventType, envelope.EventId, envelope.UserId);
        return Task.CompletedTask;
    }
}

/// <summary>Builds envelopes with this service as the source.</summary>
internal static class UserEvents
{
    public const string SourceService = "user_service";

    public static UserEventEnvelope<TData> Create<TData>(string eventType, string userId, TData data, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new UserEventEnvelope<TData>(Guid.CreateVersion7(now).ToString(), eventType, userId, data, now, SourceService);
    }
}
