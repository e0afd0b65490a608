using System.Text.RegularExpressions;
using Onboarding.Contracts.Http;
using Onboarding.NotificationService.Apis;
using Onboarding.ServiceDefaults.HttpApi;

namespace Onboarding.NotificationService.Application;

/// <summary>The input rules of the notifications API; each method answers the errors by field (empty when valid).</summary>
internal static partial class NotificationValidation
{
    public const int MaxEmailLength = 254;
    public const int MaxBatchRecipients = 1000;
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 20_000;
    // send_mass_mail keys each recipient's send as "<task id>:<email>": up to 36 + 1 + 254 characters.
    public const int MaxIdempotencyKeyLength = 300;
    public const int MaxChangedFields = 20;
    public const int MaxFieldNameLength = 50;

    public static Dictionary<string, string[]> Validate(SendEmailRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IsEmail(request?.Recipient))
        {
            errors["recipient"] = [$"A valid recipient email is required (at most {MaxEmailLength} characters)."];
        }

        CheckMessage(request?.Subject, request?.Body, errors);
        if (request?.Category is not null && !NotificationCategories.All.Contains(request.Category))
        {
            errors["category"] = [$"The category must be one of: {string.Join(", ", NotificationCategories.All)}."];
        }

        if (request?.IdempotencyKey is { } key && (key.Length is 0 or > MaxIdempotencyKeyLength))
        {
            errors["idempotencyKey"] = [$"The idempotencyKey must be 1 to {MaxIdempotencyKeyLength} characters."];
        }

        if (request?.UserId is not null && !ResourceIds.IsWellFormed(request.UserId))
        {
            errors["userId"] = [ResourceIds.Message("userId")];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(BatchSendRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Recipients is not { Count: > 0 and <= MaxBatchRecipients } recipients || !recipients.All(IsEmail))
        {
            errors["recipients"] = [$"Give 1 to {MaxBatchRecipients} valid recipient emails (each at most {MaxEmailLength} characters)."];
        }

        CheckMessage(request?.Subject, request?.Body, errors);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(PreferencesRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null || (request.EmailEnabled ?? request.OrderUpdates ?? request.SecurityAlerts ?? request.Marketing) is null)
        {
            errors["body"] = ["Give at least one of emailEnabled, orderUpdates, securityAlerts, marketing."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(UserUpdatedNotification? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(request?.UserId))
        {
            errors["userId"] = ["The userId is required."];
        }
        else if (!ResourceIds.IsWellFormed(request.UserId))
        {
            errors["userId"] = [ResourceIds.Message("userId")];
        }

        if (request?.Email is not null && !IsEmail(request.Email))
        {
            errors["email"] = [$"The email must be a valid address (at most {MaxEmailLength} characters)."];
        }

        if (request?.ChangedFields is { } fields
            && (fields.Count > MaxChangedFields || fields.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > MaxFieldNameLength)))
        {
            errors["changedFields"] = [$"Give at most {MaxChangedFields} field names, each 1 to {MaxFieldNameLength} characters."];
        }

        return errors;
    }

    public static bool IsEmail(string? value) => value is { Length: <= MaxEmailLength } && EmailPattern().IsMatch(value.Trim());

    private static void CheckMessage(string? subject, string? body, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(subject) || subject.Length > MaxSubjectLength)
        {
            errors["subject"] = [$"The subject is required (at most {MaxSubjectLength} characters)."];
        }

        if (string.IsNullOrWhiteSpace(body) || body.Length > MaxBodyLength)
        {
            errors["body"] = [$"The body is required (at most {MaxBodyLength} characters)."];
        }
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}
