using Onboarding.Contracts.Events;
using Onboarding.NotificationService.Application;
using Onboarding.NotificationService.Infrastructure;
using Onboarding.TaskEngine.Events;

namespace Onboarding.NotificationService.EventHandlers;

// NotificationService's subscriptions. The engine's dispatcher already skips an event id this service handled; each
// handler's effect is idempotent as well (a redelivery after a crash mid-handler has no second effect).

/// <summary>
/// <c>user.created</c>: makes sure the user has notification preferences (the defaults, unless some exist). The
/// welcome email has one owner, the onboarding workflow's <c>send_welcome_email</c> step, so this handler sends none.
/// </summary>
internal sealed class UserCreatedHandler(RedisNotificationStore store, ILogger<UserCreatedHandler> logger) : IEventHandler<UserCreated>
{
    public async Task HandleAsync(UserCreated payload, EventContext context, CancellationToken cancellationToken)
    {
        var created = await store.EnsurePreferencesAsync(payload.UserId, NotificationCategories.Defaults);
        NotificationServiceLog.PreferencesEnsured(logger, payload.UserId, created, context.Envelope.EventId);
    }
}

/// <summary><c>user.password_changed</c>: a security notice to the user (idempotent by event id).</summary>
internal sealed class PasswordChangedHandler(NotificationSender sender) : IEventHandler<UserPasswordChanged>
{
    public async Task HandleAsync(UserPasswordChanged payload, EventContext context, CancellationToken cancellationToken)
    {
        var notification = await sender.SendAsync(
            payload.Email,
            "Your password was changed",
            $"The password of your account was changed at {payload.At:u}. If this was not you, reset it now and contact support.",
            NotificationCategories.Security,
            "event:" + context.Envelope.EventId,
            payload.UserId,
            cancellationToken);
        if (notification.Status == Contracts.Http.NotificationStatuses.Failed)
        {
            // SMTP is down: fail so the engine retries the event (the idempotency key lets the retry send).
            throw new InvalidOperationException($"The security notice for user {payload.UserId} could not be sent.");
        }
    }
}

/// <summary><c>user.deleted</c>: GDPR clean-up of the user's preferences, update log and notifications.</summary>
internal sealed class UserDeletedHandler(RedisNotificationStore store, ILogger<UserDeletedHandler> logger) : IEventHandler<UserDeleted>
{
    public async Task HandleAsync(UserDeleted payload, EventContext context, CancellationToken cancellationToken)
    {
        var removed = await store.DeleteUserDataAsync(payload.UserId, payload.Email);
        NotificationServiceLog.UserDataDeleted(logger, payload.UserId, removed, context.Envelope.EventId);
    }
}
