using System.ComponentModel.DataAnnotations;

namespace Onboarding.NotificationService.Infrastructure;

/// <summary>
/// The <c>Smtp</c> section. Without <see cref="Host"/> emails go to the stored outbox only
/// (<c>GET /api/notifications?recipient=</c>).
/// </summary>
internal sealed class SmtpOptions
{
    public const string SectionName = "Smtp";

    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    public bool EnableSsl { get; set; }

    public string? UserName { get; set; }

    public string? Password { get; set; }

    [Required, EmailAddress]
    public string From { get; set; } = "noreply@onboarding.local";
}
