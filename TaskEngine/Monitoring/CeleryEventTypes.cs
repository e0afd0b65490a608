namespace Onboarding.TaskEngine.Monitoring;

/// <summary>The event types Celery 5.2 defines (and our workers and clients send).</summary>
public static class CeleryEventTypes
{
    /// <summary>A worker connected; same fields as a heartbeat.</summary>
    public const string WorkerOnline = "worker-online";

    /// <summary>Every 2 s: <c>freq</c>, <c>active</c>, <c>processed</c>, <c>loadavg</c>, <c>sw_ident</c>, <c>sw_ver</c>, <c>sw_sys</c>.</summary>
    public const string WorkerHeartbeat = "worker-heartbeat";

    /// <summary>A worker is shutting down.</summary>
    public const string WorkerOffline = "worker-offline";

    /// <summary>A client published the task (only with <c>TaskEngine:SendSentEvents</c> / <c>task_send_sent_event</c>).</summary>
    public const string TaskSent = "task-sent";

    /// <summary>A worker received the task: <c>name</c>, <c>args</c>, <c>kwargs</c> (reprs), <c>retries</c>, <c>eta</c>, <c>expires</c>, <c>root_id</c>, <c>parent_id</c>.</summary>
    public const string TaskReceived = "task-received";

    /// <summary>The task's handler started.</summary>
    public const string TaskStarted = "task-started";

    /// <summary>The task succeeded: <c>result</c> (repr) and <c>runtime</c> (seconds).</summary>
    public const string TaskSucceeded = "task-succeeded";

    /// <summary>The task failed: <c>exception</c> (repr) and <c>traceback</c>.</summary>
    public const string TaskFailed = "task-failed";

    /// <summary>The task will be retried: <c>exception</c> and <c>traceback</c>.</summary>
    public const string TaskRetried = "task-retried";

    /// <summary>The worker rejected (dead-lettered) the message: <c>requeue</c>.</summary>
    public const string TaskRejected = "task-rejected";

    /// <summary>The task was revoked: <c>terminated</c>, <c>signum</c>, <c>expired</c>.</summary>
    public const string TaskRevoked = "task-revoked";
}
