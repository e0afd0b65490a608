using Onboarding.Contracts.Http;

namespace Onboarding.Workers.Clients;

/// <summary>NotificationService over service discovery (<c>http://notificationservice</c>).</summary>
internal sealed class NotificationServiceClient(HttpClient http) : ServiceClientBase(http)
{
    public Task<NotificationResponse> SendEmailAsync(SendEmailRequest request, CancellationToken cancellationToken) =>
        SendAsync<NotificationResponse>(HttpMethod.Post, "/api/notifications/email", request, cancellationToken);

    /// <summary>Gives the user the default preferences unless they have some; answers the user's preferences.</summary>
    public Task<NotificationPreferencesDto> EnsurePreferencesAsync(string userId, CancellationToken cancellationToken) =>
        SendAsync<NotificationPreferencesDto>(HttpMethod.Post, $"/api/notifications/preferences/{Uri.EscapeDataString(userId)}", null, cancellationToken);

    public Task NotifyUserUpdatedAsync(UserUpdatedNotification notification, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/user-updated", notification, cancellationToken);

    /// <summary>Periodic maintenance: <c>POST /api/notifications/retry-failed</c>; answers the service's JSON report.</summary>
    public Task<System.Text.Json.JsonElement> RetryFailedAsync(CancellationToken cancellationToken) =>
        SendAsync<System.Text.Json.JsonElement>(HttpMethod.Post, "/api/notifications/retry-failed", null, cancellationToken);
}
