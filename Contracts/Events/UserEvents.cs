namespace Onboarding.Contracts.Events;

/// <summary>
/// The user event types: the routing keys of the events exchange. The seed's <c>user.login</c> is not among them: no
/// service acts on a login, UserService records it itself (last login, count), and an event nobody subscribes to is
/// dead-lettered as unroutable, so every login would have filled the dead-letter queue.
/// </summary>
public static class UserEventTypes
{
    public const string Created = "user.created";
    public const string Updated = "user.updated";
    public const string Deleted = "user.deleted";
    public const string PasswordChanged = "user.password_changed";
}

/// <summary>
/// The seed's event envelope: published once, delivered to every subscribing service, handled idempotently by
/// <paramref name="EventId"/>.
/// </summary>
public sealed record UserEventEnvelope<TData>(
    string EventId,
    string EventType,
    string UserId,
    TData Data,
    DateTimeOffset Timestamp,
    string SourceService,
    string Version = "1.0");

/// <summary>Payload of <see cref="UserEventTypes.Created"/>.</summary>
public sealed record UserCreated(string UserId, string Email, string FirstName, string LastName);

/// <summary>Payload of <see cref="UserEventTypes.Updated"/>.</summary>
public sealed record UserUpdated(string UserId, IReadOnlyList<string> ChangedFields);

/// <summary>
/// Payload of <see cref="UserEventTypes.Deleted"/>. <paramref name="TaskIds"/>: the ids of the user's workflow tasks,
/// so UserService's subscriber can revoke those not finished (the user record is gone by then).
/// </summary>
public sealed record UserDeleted(string UserId, string Email, IReadOnlyList<string>? TaskIds = null);

/// <summary>Payload of <see cref="UserEventTypes.PasswordChanged"/>.</summary>
public sealed record UserPasswordChanged(string UserId, string Email, DateTimeOffset At);
