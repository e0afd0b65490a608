using Onboarding.Contracts.Events;

namespace Onboarding.UserService.Events;

/// <summary>Publishes the seed's user events (<see cref="UserEventTypes"/>) in the seed's envelope.</summary>
internal interface IUserEventPublisher
{
    Task PublishAsync<TData>(UserEventEnvelope<TData> envelope, CancellationToken cancellationToken = default);
}
