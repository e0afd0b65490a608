using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.NotificationService.Application;
using Onboarding.NotificationService.Infrastructure;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.NotificationService.Apis;

/// <summary>The notifications resource: <c>/api/notifications</c>, plus the user-updated webhook.</summary>
internal static class NotificationsApi
{
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
        // Used by the onboarding task create_user_preferences (Workers) over service discovery.
        api.MapPost("/preferences/{userId}", EnsurePreferencesAsync).WithName("EnsurePreferences")
            .WithSummary("Give a new user the default preferences unless they have some (idempotent)");

        app.MapPost("/api/user-updated", UserUpdatedAsync).WithTags("Webhooks").WithName("UserUpdated")
            .WithSummary("A user's profile changed (called by update_user_profile)");
        return api;
    }

    public static async Task<Ok<RetryFailedResponse>> RetryFailedAsync(NotificationSender sender, CancellationToken cancellationToken) =>
        TypedResults.Ok(new RetryFailedResponse(await sender.RetryFailedAsync(100, cancellationToken)));

    public static async Task<Results<Ok<NotificationResponse>, ValidationProblem, ProblemHttpResult>> SendEmailAsync(
        SendEmailRequest? request, NotificationSender sender, CancellationToken cancellationToken)
    {
        var errors = NotificationValidation.Validate(request);
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
        if (!NotificationValidation.IsEmail(recipient))
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
        BatchSendRequest? request, ITaskClient tasks, RedisNotificationStore store, CancellationToken cancellationToken)
    {
        var errors = NotificationValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var distinct = request!.Recipients!.Select(r => r!.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        // The id is chosen here and recorded before the send, so GET /batch/{taskId} knows it from the first moment.
        var taskId = Guid.NewGuid().ToString();
        await store.RecordBatchAsync(taskId);
        var task = await tasks.SendAsync(NotificationTasks.SendMassMail, new SendMassMailArgs(distinct, request.Subject!, request.Body!),
            new TaskSendOptions { TaskId = taskId }, cancellationToken);
        var statusUrl = $"/api/notifications/batch/{task.Id}";
        return TypedResults.Accepted(statusUrl, new BatchAcceptedResponse(task.Id, distinct.Count, statusUrl));
    }

    public static async Task<Results<Ok<BatchStatusResponse>, ProblemHttpResult>> GetBatchAsync(
        string taskId, ITaskClient tasks, RedisNotificationStore store, CancellationToken cancellationToken)
    {
        // A task id this service never sent would read PENDING forever: only recorded batches have a state.
        if (!await store.IsBatchAsync(taskId))
        {
            return NotFound("Batch", taskId);
        }

        var meta = await tasks.GetResult(taskId).GetMetaAsync(cancellationToken);
        return TypedResults.Ok(new BatchStatusResponse(taskId, (meta?.State ?? TaskState.Pending).ToWireName()));
    }

    public static async Task<Results<Ok<NotificationPreferencesDto>, ProblemHttpResult>> GetPreferencesAsync(string userId, RedisNotificationStore store) =>
        await store.FindPreferencesAsync(userId) is { } preferences ? TypedResults.Ok(preferences) : PreferencesNotFound(userId);

    public static async Task<Ok<NotificationPreferencesDto>> EnsurePreferencesAsync(string userId, RedisNotificationStore store)
    {
        await store.EnsurePreferencesAsync(userId, NotificationCategories.Defaults);
        return TypedResults.Ok(await store.FindPreferencesAsync(userId) ?? NotificationCategories.Defaults);
    }

    public static async Task<Results<Ok<NotificationPreferencesDto>, ValidationProblem, ProblemHttpResult>> SetPreferencesAsync(
        string userId, PreferencesRequest? request, RedisNotificationStore store)
    {
        var errors = NotificationValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await store.FindPreferencesAsync(userId) is not { } current)
        {
            return PreferencesNotFound(userId);
        }

        var updated = new NotificationPreferencesDto(
            request!.EmailEnabled ?? current.EmailEnabled,
            request.OrderUpdates ?? current.OrderUpdates,
            request.SecurityAlerts ?? current.SecurityAlerts,
            request.Marketing ?? current.Marketing);
        await store.SavePreferencesAsync(userId, updated);
        return TypedResults.Ok(updated);
    }

    public static async Task<Results<NoContent, ValidationProblem>> UserUpdatedAsync(
        UserUpdatedNotification? request, RedisNotificationStore store, TimeProvider time, ILogger<RedisNotificationStore> logger)
    {
        var errors = NotificationValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        await store.RecordUserUpdateAsync(request!.UserId!, request, time.GetUtcNow());
        NotificationServiceLog.UserUpdated(logger, request.UserId!, string.Join(',', request.ChangedFields ?? []));
        return TypedResults.NoContent();
    }

    // Preferences exist from the user's creation (user.created, or the onboarding step create_user_preferences) until
    // their deletion: none means this service knows no such user.
    private static ProblemHttpResult PreferencesNotFound(string userId) =>
        TypedResults.Problem(detail: $"No user with the id '{userId}' has notification preferences.", statusCode: StatusCodes.Status404NotFound, title: "User not found");

    private static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(detail: $"No {what.ToLowerInvariant()} has the id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: $"{what} not found");
}

public sealed record BatchSendRequest([Required] IReadOnlyList<string?>? Recipients, [Required] string? Subject, [Required] string? Body);

public sealed record BatchAcceptedResponse(string TaskId, int Recipients, string StatusUrl);

public sealed record BatchStatusResponse(string TaskId, string State);

public sealed record PreferencesRequest(bool? EmailEnabled, bool? OrderUpdates, bool? SecurityAlerts, bool? Marketing);

public sealed record RetryFailedResponse(IReadOnlyList<string> Sent);
