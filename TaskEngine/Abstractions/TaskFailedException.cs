using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>Thrown by <see cref="TaskResult.GetAsync"/> when the task ended in FAILURE or REVOKED.</summary>
public sealed class TaskFailedException(string taskId, TaskState state, ExceptionInfo? exception, string? traceback)
    : Exception($"Task {taskId} ended in {state.ToWireName()}: {exception?.Type}: {exception?.MessageText}")
{
    public string TaskId { get; } = taskId;

    public TaskState State { get; } = state;

    /// <summary>Celery's exc_type, e.g. <c>ValueError</c> or <c>TimeLimitExceeded</c>.</summary>
    public string? ExcType { get; } = exception?.Type;

    /// <summary>Celery's exc_message args joined as text.</summary>
    public string? ExcMessage { get; } = exception?.MessageText;

    public string? ExcModule { get; } = exception?.Module;

    public ExceptionInfo? Exception { get; } = exception;

    public string? Traceback { get; } = traceback;
}
