namespace Onboarding.Contracts.Events;

/// <summary>The seed's user event types: the routing keys of the events exchange.</summary>
public static class UserEventTypes
{
    public const string Created = "user.created";
    public const string Updated = "user.updated";
    public const string Deleted = "user.deleted";
    public const string Login = "user.login";
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

/// <summary>Payload of <see cref="UserEventTypes.Login"/>.</summary>
public sealed record UserLoggedIn(string UserId, DateTimeOffset At);

/// <summary>Payload of <see cref="UserEventTypes.PasswordChanged"/>.</summary>
public sealed record UserPasswordChanged(string UserId, string Email, DateTimeOffset At);
