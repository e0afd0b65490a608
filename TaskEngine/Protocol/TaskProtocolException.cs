namespace Onboarding.TaskEngine.Protocol;

/// <summary>A message that is not a valid Celery protocol v2 task; it is dead-lettered with <see cref="Reason"/>.</summary>
public sealed class TaskProtocolException(string reason, string message, string? taskId = null, string? taskName = null)
    : Exception(message)
{
    /// <summary>A short machine-readable reason: <c>content-type</c>, <c>headers</c>, <c>body</c>, <c>eta</c>, ...</summary>
    public string Reason { get; } = reason;

    /// <summary>The task id when it could still be read, so a FAILURE can be stored.</summary>
    public string? TaskId { get; } = taskId;

    public string? TaskName { get; } = taskName;
}
