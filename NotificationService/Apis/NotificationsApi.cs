using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.NotificationService.Application;
using Onboarding.NotificationService.Infrastructure;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.NotificationService.Apis;

/// <summary>The notifications resource: <c>/api/notifications</c>, plus the user-updated webhook.</summary>
internal static partial class NotificationsApi
{
    public const int MaxBatchRecipients = 1000;
    public const int MaxSubjectLength = 200;
    public const int MaxBodyLength = 20_000;

    public static RouteGroupBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/notifications").WithTags("Notifications");
        api.MapPost("/email", SendEmailAsync).WithName("SendEmail")
            .WithSummary("Send an email now (SMTP when configured, else the outbox); idempotent by key");
        api.MapGet("/", ListAsync).WithName("ListNotifications").WithSummary("A recipient's notifications, newest first");
        api.MapGet("/{id}", GetAsync).WithName("GetNotification").WithSummary("One notification");
        api.MapPost("/batch", SendBatchAsync).WithName("SendBatch")
            .WithSummary("Send one email to many recipients in the background (send_mass_mail)");
        api.MapGet("/batch/{taskId}", GetBatchAsync).WithName("GetBatch").WithSummary("The state of a batch send");
        api.MapPost("/retry-failed", RetryFailedAsync).WithName("RetryFailedNotifications")
            .WithSummary("Send again the notifications whose send failed (periodic task)");
        api.MapGet("/preferences/{userId}", GetPreferencesAsync).WithName("GetPreferences").WithSummary("A user's notification preferences");
        api.MapPut("/preferences/{userId}", SetPreferencesAsync).WithName("SetPreferences").WithSummary("Set a user's notification preferences");

        app.MapPost("/api/user-updated", UserUpdatedAsync).WithTags("Webhooks").WithName("UserUpdated")
            .WithSummary("A user's profile changed (called by update_user_profile)");
        return api;
    }

    public static async Task<Ok<RetryFailedResponse>> RetryFailedAsync(NotificationSender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(new RetryFailedResponse(await sender.RetryFailedAsync(100, cancellationToken)));

    public static async Task<Results<Ok<NotificationResponse>, ValidationProblem, ProblemHttpResult>> SendEmailAsync(
        SendEmailRequest? request, NotificationSender sender, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (!IsEmail(request?.Recipient))
        {
            errors["recipient"] = ["A valid recipient email is required."];
        }

        CheckMessage(request?.Subject, request?.Body, errors);
        if (request?.Category is not null && !NotificationCategories.All.Contains(request.Category))
        {
            errors["category"] = [$"The category must be one of: {string.Join(", ", NotificationCategories.All)}."];
        }

        if (request?.IdempotencyKey is { Length: > 200 })
        {
            errors["idempotencyKey"] = ["The idempotencyKey must be at most 200 characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var notification = await sender.SendAsync(request!.Recipient!, request.Subject!, request.Body!,
            request.Category ?? NotificationCategories.General, request.IdempotencyKey, request.UserId, cancellationToken);
        return notification.Status == NotificationStatuses.Failed
            ? TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "SMTP unavailable", detail: "The email could not be sent; retry later.")
            : TypedResults.Ok(notification);
    }

    public static async Task<Results<Ok<IReadOnlyList<NotificationResponse>>, ValidationProblem>> ListAsync(
        string? recipient, int? take, RedisNotificationStore store)
    {
        if (!IsEmail(recipient))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["recipient"] = ["Give ?recipient=<email>."] });
        }

        if (take is < 1 or > 500)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["take"] = ["The take must be 1 to 500."] });
        }

        return TypedResults.Ok(await store.ListAsync(recipient!, take ?? 100));
    }

    public static async Task<Results<Ok<NotificationResponse>, ProblemHttpResult>> GetAsync(string id, RedisNotificationStore store) =>
        await store.GetAsync(id) is { } notification ? TypedResults.Ok(notification) : NotFound("Notification", id);

    public static async Task<Results<Accepted<BatchAcceptedResponse>, ValidationProblem>> SendBatchAsync(
        BatchSendRequest? request, ITaskClient tasks, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request?.Recipients is not { Count: > 0 and <= MaxBatchRecipients } recipients || !recipients.All(IsEmail))
        {
            errors["recipients"] = [$"Give 1 to {MaxBatchRecipients} valid recipient emails."];
        }

        CheckMessage(request?.Subject, request?.Body, errors);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var distinct = request!.Recipients!.Select(r => r!.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        var task = await tasks.SendAsync(NotificationTasks.SendMassMail, new SendMassMailArgs(distinct, request.Subject!, request.Body!), cancellationToken: cancellationToken);
        var statusUrl = $"/api/notifications/batch/{task.Id}";
        return TypedResults.Accepted(statusUrl, new BatchAcceptedResponse(task.Id, distinct.Count, statusUrl));
    }

    public static async Task<Ok<BatchStatusResponse>> GetBatchAsync(string taskId, ITaskClient tasks, CancellationToken cancellationToken)
    {
        var meta = await tasks.GetResult(taskId).GetMetaAsync(cancellationToken);
        return TypedResults.Ok(new BatchStatusResponse(taskId, (meta?.State ?? TaskState.Pending).ToWireName()));
    }

    public static async Task<Results<Ok<NotificationPreferencesDto>, ValidationProblem>> GetPreferencesAsync(string userId, RedisNotificationStore store) =>
        userId.Length > 64
            ? TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["The userId must be at most 64 characters."] })
            : TypedResults.Ok(await store.GetPreferencesAsync(userId));

    public static async Task<Results<Ok<NotificationPreferencesDto>, ValidationProblem>> SetPreferencesAsync(
        string userId, PreferencesRequest? request, RedisNotificationStore store)
    {
        if (userId.Length > 64)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["The userId must be at most 64 characters."] });
        }

        if (request is null || (request.EmailEnabled ?? request.OrderUpdates ?? request.SecurityAlerts ?? request.Marketing) is null)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["body"] = ["Give at least one of emailEnabled, orderUpdates, securityAlerts, marketing."],
            });
        }

        var current = await store.GetPreferencesAsync(userId);
        var updated = new NotificationPreferencesDto(
            request.EmailEnabled ?? current.EmailEnabled,
            request.OrderUpdates ?? current.OrderUpdates,
            request.SecurityAlerts ?? current.SecurityAlerts,
            request.Marketing ?? current.Marketing);
        await store.SavePreferencesAsync(userId, updated);
        return TypedResults.Ok(updated);
    }

    public static async Task<Results<NoContent, ValidationProblem>> UserUpdatedAsync(
        UserUpdatedNotification? request, RedisNotificationStore store, TimeProvider time, ILogger<RedisNotificationStore> logger)
    {
        if (string.IsNullOrWhiteSpace(request?.UserId) || request.UserId.Length > 64)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["userId"] = ["The userId is required."] });
        }

        await store.RecordUserUpdateAsync(request.UserId, request, time.GetUtcNow());
        NotificationServiceLog.UserUpdated(logger, request.UserId, string.Join(',', request.ChangedFields ?? []));
        return TypedResults.NoContent();
    }

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

    private static bool IsEmail(string? value) => value is { Length: <= 254 } && EmailPattern().IsMatch(value.Trim());

    private static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(detail: $"No {what.ToLowerInvariant()} has the id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: $"{what} not found");

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();
}

public sealed record BatchSendRequest(IReadOnlyList<string?>? Recipients, string? Subject, string? Body);

public sealed record BatchAcceptedResponse(string TaskId, int Recipients, string StatusUrl);

public sealed record BatchStatusResponse(string TaskId, string State);

public sealed record PreferencesRequest(bool? EmailEnabled, bool? OrderUpdates, bool? SecurityAlerts, bool? Marketing);

public sealed record RetryFailedResponse(IReadOnlyList<string> Sent);
