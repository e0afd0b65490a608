using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>What a handler knows about the message it runs (Celery's <c>task.request</c>).</summary>
public sealed class TaskContext
{
    internal TaskContext(TaskMessage message, string queue, bool redelivered)
    {
        Message = message;
        Queue = queue;
        Redelivered = redelivered;
    }

    /// <summary>The decoded message, headers and embed included.</summary>
    public TaskMessage Message { get; }

    public string Id => Message.Id;

    public string Name => Message.Name;

    /// <summary>How many times this task was retried before this run.</summary>
    public int Retries => Message.Retries;

    public string RootId => Message.RootId ?? Message.Id;

    public string? ParentId => Message.ParentId;

    public string? GroupId => Message.GroupId;

    /// <summary>The queue the message was consumed from.</summary>
    public string Queue { get; }

    /// <summary>True when the broker delivered this message before (a worker died holding it).</summary>
    public bool Redelivered { get; }

    /// <summary>
    /// Asks for a retry like Celery's <c>self.retry(exc=..., countdown=...)</c>: throw the returned exception.
    /// Without a countdown the task's backoff policy decides the delay.
    /// </summary>
    public TaskRetryException Retry(Exception? exception = null, TimeSpan? countdown = null) =>
        new(exception, countdown);
}

/// <summary>Thrown (via <see cref="TaskContext.Retry"/>) to retry the running task with the same id.</summary>
public sealed class TaskRetryException(Exception? reason, TimeSpan? countdown)
    : Exception("Retry requested.", reason)
{
    public TimeSpan? Countdown { get; } = countdown;
}
