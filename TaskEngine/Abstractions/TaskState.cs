namespace Onboarding.TaskEngine.Abstractions;

/// <summary>The states Celery stores in its result backend (celery/states.py).</summary>
public enum TaskState
{
    /// <summary>No result stored (yet): Celery never writes PENDING.</summary>
    Pending,
    Received,
    Started,
    Retry,
    Success,
    Failure,
    Revoked,
}

/// <summary>Maps <see cref="TaskState"/> to and from Celery's upper-case wire names.</summary>
public static class TaskStates
{
    public static string ToWireName(this TaskState state) => state switch
    {
        TaskState.Pending => "PENDING",
        TaskState.Received => "RECEIVED",
        TaskState.Started => "STARTED",
        TaskState.Retry => "RETRY",
        TaskState.Success => "SUCCESS",
        TaskState.Failure => "FAILURE",
        TaskState.Revoked => "REVOKED",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    public static TaskState Parse(string? wireName) => wireName switch
    {
        "RECEIVED" => TaskState.Received,
        "STARTED" => TaskState.Started,
        "RETRY" => TaskState.Retry,
        "SUCCESS" => TaskState.Success,
        "FAILURE" => TaskState.Failure,
        "REVOKED" => TaskState.Revoked,
        _ => TaskState.Pending,
    };

    /// <summary>SUCCESS, FAILURE and REVOKED: the states after which nothing changes.</summary>
    public static bool IsReady(this TaskState state) =>
        state is TaskState.Success or TaskState.Failure or TaskState.Revoked;
}
