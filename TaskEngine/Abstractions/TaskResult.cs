using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>A handle on a task's result in the result backend (Celery's <c>AsyncResult</c>).</summary>
public sealed class TaskResult
{
    private readonly IResultBackend _backend;
    private readonly ResultRegistration? _registration;

    internal TaskResult(string id, IResultBackend backend, ResultRegistration? registration = null)
    {
        Id = id;
        _backend = backend;
        _registration = registration;
    }

    public string Id { get; }

    /// <summary>The stored state; PENDING when nothing is stored.</summary>
    public async Task<TaskState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var meta = await _backend.GetAsync(Id, cancellationToken).ConfigureAwait(false);
        return meta?.State ?? TaskState.Pending;
    }

    /// <summary>The stored meta, or null while PENDING.</summary>
    public Task<ResultMeta?> GetMetaAsync(CancellationToken cancellationToken = default) =>
        _backend.GetAsync(Id, cancellationToken);

    /// <summary>
    /// Waits for a ready state and returns the result: through the subscription <c>SendAsync</c> made before
    /// publishing (or a new one), then a read, then periodic re-polls.
    /// Throws <see cref="TaskFailedException"/> on FAILURE/REVOKED and <see cref="TimeoutException"/> on timeout.
    /// </summary>
    public async Task<JsonElement> GetAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var meta = await _backend.WaitAsync(Id, _registration, timeout, cancellationToken).ConfigureAwait(false);
        if (meta.State == TaskState.Success)
        {
            return meta.Result;
        }

        throw new TaskFailedException(Id, meta.State, meta.Exception, meta.Traceback);
    }

    /// <summary>Like <see cref="GetAsync(TimeSpan, CancellationToken)"/>, deserializing the result.</summary>
    public async Task<T?> GetAsync<T>(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(timeout, cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Undefined ? default : result.Deserialize<T>(TaskJson.Options);
    }
}
