using System.Text.Json;

namespace Onboarding.TaskEngine.Control;

/// <summary>A task a worker holds (Celery's <c>Request.info()</c>), as listed by active, reserved, scheduled and query_task.</summary>
public sealed record TaskRequestInfo
{
    /// <summary>The task id.</summary>
    public required string Id { get; init; }

    /// <summary>The task name.</summary>
    public required string Name { get; init; }

    /// <summary>Positional arguments (a JSON array), or their repr string when the node sent reprs.</summary>
    public JsonElement Args { get; init; }

    /// <summary>Keyword arguments (a JSON object), or their repr string.</summary>
    public JsonElement Kwargs { get; init; }

    /// <summary>The node holding it.</summary>
    public string? Hostname { get; init; }

    /// <summary>When it started (null while reserved).</summary>
    public DateTimeOffset? TimeStart { get; init; }

    /// <summary>Whether its message was already acknowledged.</summary>
    public bool Acknowledged { get; init; }

    /// <summary>The queue (routing key) it was delivered from.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>Whether the broker redelivered it.</summary>
    public bool Redelivered { get; init; }

    /// <summary>The process running it (null while reserved).</summary>
    public int? WorkerPid { get; init; }

    /// <summary>The whole request object as sent.</summary>
    public JsonElement Raw { get; init; }
}

/// <summary>An <c>inspect scheduled</c> entry: a task waiting in the worker for its ETA.</summary>
/// <param name="Eta">When it is due.</param>
/// <param name="Priority">Its priority in the worker's timer.</param>
/// <param name="Request">The task.</param>
public sealed record ScheduledTaskInfo(DateTimeOffset? Eta, int? Priority, TaskRequestInfo Request);

/// <summary>An <c>inspect query_task</c> answer for one id.</summary>
/// <param name="State"><c>active</c>, <c>reserved</c> or <c>ready</c>.</param>
/// <param name="Request">The task.</param>
public sealed record TaskQueryResult(string State, TaskRequestInfo Request);
