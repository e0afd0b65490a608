using System.Net.Mail;
using Onboarding.Contracts.Http;
using Onboarding.NotificationService.Infrastructure;

namespace Onboarding.NotificationService.Application;

/// <summary>
/// Sends one email: honours the user's preferences, goes through SMTP when configured and into the outbox
/// otherwise, and is idempotent by key (a retried task gets the first outcome, unless that one failed).
/// </summary>
internal sealed class NotificationSender(RedisNotificationStore store, EmailSender email, TimeProvider time, ILogger<NotificationSender> logger)
{
    public async Task<NotificationResponse> SendAsync(
        string recipient, string subject, string body, string category, string? idempotencyKey, string? userId, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7(time.GetUtcNow()).ToString();
        if (userId is not null && await store.IsForgottenAsync(userId))
        {
            return Forgotten(id, recipient, subject, category, userId);
        }

        var isNew = true;
        if (idempotencyKey is not null)
        {
            var holder = await store.ClaimAsync(idempotencyKey, id);
            if (holder != id)
            {
                if (await store.GetAsync(holder) is { Status: not NotificationStatuses.Failed } earlier)
                {
                    return earlier;
                }

                (id, isNew) = (holder, false);
            }
        }

        var allowed = userId is null || NotificationCategories.Allows(await store.GetPreferencesAsync(userId), category);
        var status = !allowed ? NotificationStatuses.Skipped : email.Configured ? NotificationStatuses.Sent : NotificationStatuses.Outbox;
        if (status == NotificationStatuses.Sent)
        {
            try
            {
                await email.SendAsync(recipient, subject, body, cancellationToken);
            }
            catch (SmtpException ex)
            {
                NotificationServiceLog.SmtpFailed(logger, ex, recipient);
                status = NotificationStatuses.Failed;
            }
        }

        var notification = new NotificationResponse(id, recipient.Trim().ToLowerInvariant(), subject, body, category, status, time.GetUtcNow());
        await store.SaveAsync(notification, isNew);
        if (userId is not null && await store.IsForgottenAsync(userId))
        {
            // The user was deleted while this was being sent, and the clean-up may have listed their notifications
            // before this one was saved: take it back.
            await store.RemoveAsync(notification);
            return Forgotten(id, recipient, subject, category, userId);
        }

        NotificationServiceLog.EmailHandled(logger, id, category, status);
        return notification;
    }

    // An email for a user who asked to be forgotten: answered as skipped and kept nowhere.
    private NotificationResponse Forgotten(string id, string recipient, string subject, string category, string userId)
    {
        NotificationServiceLog.ForgottenUserSkipped(logger, userId, category);
        return new NotificationResponse(id, recipient.Trim().ToLowerInvariant(), subject, string.Empty, category, NotificationStatuses.Skipped, time.GetUtcNow());
    }

    /// <summary>Sends again up to <paramref name="take"/> notifications whose send failed; answers those now sent.</summary>
    public async Task<IReadOnlyList<string>> RetryFailedAsync(int take, CancellationToken cancellationToken)
    {
        var sent = new List<string>();
        foreach (var id in await store.FailedIdsAsync(take))
        {
            if (await store.GetAsync(id) is not { Status: NotificationStatuses.Failed } failed)
            {
                continue;
            }

            var status = NotificationStatuses.Outbox;
            if (email.Configured)
            {
                try
                {
                    await email.SendAsync(failed.Recipient, failed.Subject, failed.Body, cancellationToken);
                    status = NotificationStatuses.Sent;
                }
                catch (SmtpException ex)
                {
                    NotificationServiceLog.SmtpFailed(logger, ex, failed.Recipient);
                    continue;
                }
            }

            await store.SaveAsync(failed with { Status = status }, isNew: false);
            NotificationServiceLog.EmailHandled(logger, id, failed.Category, status);
            sent.Add(id);
        }

        return sent;
    }
}
