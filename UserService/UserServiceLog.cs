namespace Onboarding.UserService;

/// <summary>UserService's log messages.</summary>
internal static partial class UserServiceLog
{
    [LoggerMessage(1, LogLevel.Information, "User {UserId} created; onboarding {OnboardingId} started")]
    public static partial void UserCreated(ILogger logger, string userId, string onboardingId);

    [LoggerMessage(2, LogLevel.Information, "User {UserId} deleted")]
    public static partial void UserDeleted(ILogger logger, string userId);

    [LoggerMessage(3, LogLevel.Warning, "Failed login for a known user {UserId}")]
    public static partial void LoginFailed(ILogger logger, string userId);

    [LoggerMessage(6, LogLevel.Information, "Revoked {Count} unfinished task(s) of deleted user {UserId} (event {EventId})")]
    public static partial void PendingTasksRevoked(ILogger logger, string userId, int count, string eventId);
}
