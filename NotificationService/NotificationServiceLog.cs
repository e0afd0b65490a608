namespace Onboarding.NotificationService;

/// <summary>NotificationService's log messages.</summary>
internal static partial class NotificationServiceLog
{
    [LoggerMessage(1, LogLevel.Information, "Notification {NotificationId} ({Category}): {Status}")]
    public static partial void EmailHandled(ILogger logger, string notificationId, string category, string status);

    [LoggerMessage(2, LogLevel.Warning, "SMTP send to {Recipient} failed")]
    public static partial void SmtpFailed(ILogger logger, Exception exception, string recipient);

    [LoggerMessage(3, LogLevel.Information, "User {UserId} updated ({Fields})")]
    public static partial void UserUpdated(ILogger logger, string userId, string fields);

    [LoggerMessage(4, LogLevel.Information, "Preferences of new user {UserId}: created {Created} (event {EventId})")]
    public static partial void PreferencesEnsured(ILogger logger, string userId, bool created, string eventId);

    [LoggerMessage(5, LogLevel.Information, "GDPR clean-up of user {UserId}: {Notifications} notification(s) removed (event {EventId})")]
    public static partial void UserDataDeleted(ILogger logger, string userId, int notifications, string eventId);

    [LoggerMessage(6, LogLevel.Information, "Email to deleted user {UserId} ({Category}) not kept: the user asked to be forgotten")]
    public static partial void ForgottenUserSkipped(ILogger logger, string userId, string category);
}
