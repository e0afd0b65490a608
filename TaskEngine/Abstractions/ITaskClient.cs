using System.Text.Json;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>Sends tasks (Celery's <c>send_task</c>/<c>apply_async</c>) and reads their results.</summary>
public interface ITaskClient
{
    /// <summary>Sends a task by name with raw positional and keyword arguments.</summary>
    Task<TaskResult> SendAsync(
        string taskName,
        IReadOnlyList<JsonElement>? args = null,
        IReadOnlyDictionary<string, JsonElement>? kwargs = null,
        TaskSendOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>Sends a task with typed arguments: the record's properties become snake_case kwargs.</summary>
    Task<TaskResult> SendAsync<TArgs>(
        string taskName,
        TArgs args,
        TaskSendOptions? options = null,
        CancellationToken cancellationToken = default)
        where TArgs : notnull;

    /// <summary>A handle on the result of a task sent earlier (by anyone, Python included).</summary>
    TaskResult GetResult(string taskId);

    /// <summary>
    /// Revokes a task by id: persisted in Redis with a TTL, checked by every worker on receipt and before start,
    /// and a running task's token is cancelled.
    /// </summary>
    Task RevokeAsync(string taskId, CancellationToken cancellationToken = default);
}
