namespace Onboarding.Contracts.Tasks;

// Task arguments travel as Celery kwargs with snake_case names (user_id, order_id, ...), as the seed sends them.

/// <summary>Arguments of every onboarding step: the user the step works on.</summary>
public sealed record UserTaskArgs(string UserId);

/// <summary>Arguments of <see cref="UserTasks.UpdateUserProfile"/>: who changed and which fields.</summary>
public sealed record UpdateUserProfileArgs(string UserId, IReadOnlyList<string> ChangedFields);

/// <summary>Arguments of every order task: the order the step works on.</summary>
public sealed record OrderTaskArgs(string OrderId);

/// <summary>
/// Arguments of <see cref="OrderTasks.ReleaseInventory"/>, a compensation: the engine prepends the failed task's id
/// and the compensated step's result to the signature's own <c>order_id</c>.
/// </summary>
public sealed record ReleaseInventoryArgs(string? FailedTaskId, System.Text.Json.JsonElement StepResult, string OrderId);

/// <summary>Arguments of <see cref="NotificationTasks.SendEmail"/>.</summary>
public sealed record SendEmailArgs(string Recipient, string Subject, string Body, string Category = "general");

/// <summary>Arguments of <see cref="NotificationTasks.SendOrderEmail"/>; kind is e.g. <c>confirmation</c>.</summary>
public sealed record SendOrderEmailArgs(string OrderId, string Recipient, string Kind);

/// <summary>Arguments of <see cref="NotificationTasks.SendMassMail"/> (the seed's batch send).</summary>
public sealed record SendMassMailArgs(IReadOnlyList<string> Recipients, string Subject, string Body);
