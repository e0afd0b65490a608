using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Options;

namespace Onboarding.NotificationService.Infrastructure;

/// <summary>Sends an email through SMTP when <c>Smtp:Host</c> is set; answers false when there is no SMTP server.</summary>
internal sealed class EmailSender(IOptions<SmtpOptions> options)
{
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.Host);

    public async Task SendAsync(string recipient, string subject, string body, CancellationToken cancellationToken)
    {
        var smtp = options.Value;
        using var client = new SmtpClient(smtp.Host, smtp.Port) { EnableSsl = smtp.EnableSsl };
        if (!string.IsNullOrEmpty(smtp.UserName))
        {
            client.Credentials = new NetworkCredential(smtp.UserName, smtp.Password);
        }

        using var message = new MailMessage(smtp.From, recipient, subject, body);
        await client.SendMailAsync(message, cancellationToken).ConfigureAwait(false);
    }
}
