using System.ComponentModel.DataAnnotations;

namespace Onboarding.Contracts.Http;

// NotificationService's API as the workers see it.

/// <summary>
/// Body of <c>POST /api/notifications/email</c>. <paramref name="IdempotencyKey"/> (a task id) makes a retried
/// send a no-op; with <paramref name="UserId"/> the user's preferences decide whether the category is sent.
/// </summary>
public sealed record SendEmailRequest(
    [Required] string? Recipient, [Required] string? Subject, [Required] string? Body, string? Category, string? IdempotencyKey, string? UserId = null);

/// <summary>A notification: sent through SMTP, kept in the outbox, or skipped by the user's preferences.</summary>
public sealed record NotificationResponse(
    string Id,
    string Recipient,
    string Subject,
    string Body,
    string Category,
    string Status,
    DateTimeOffset CreatedAt);

/// <summary>The notification statuses.</summary>
public static class NotificationStatuses
{
    public const string Sent = "sent";
    public const string Outbox = "outbox";
    public const string Skipped = "skipped";
    public const string Failed = "failed";
}

/// <summary>A user's notification preferences.</summary>
public sealed record NotificationPreferencesDto(bool EmailEnabled, bool OrderUpdates, bool SecurityAlerts, bool Marketing);
