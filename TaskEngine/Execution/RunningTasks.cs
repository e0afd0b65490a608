using System.Collections.Concurrent;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// The tasks running in this worker: revoke tokens by id, and handlers abandoned at their hard time limit
/// (kept so that shutdown can wait for them and their errors are observed).
/// </summary>
internal sealed class RunningTasks
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _revokeTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _abandoned = new();

    public int Count => _revokeTokens.Count;

    public int AbandonedCount => _abandoned.Count;

    public void Add(string taskId, CancellationTokenSource revoke) => _revokeTokens[taskId] = revoke;

    public void Remove(string taskId) => _revokeTokens.TryRemove(taskId, out _);

    /// <summary>Cancels the running task with this id, if this worker runs it.</summary>
    public bool Revoke(string taskId)
    {
        if (_revokeTokens.TryGetValue(taskId, out var source))
        {
            try
            {
                source.Cancel();
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }

        return false;
    }

    public void Abandon(Task run, Action<Task> onCompleted)
    {
        _abandoned[run] = 0;
        run.ContinueWith(
            (task, state) =>
            {
                var (self, callback) = ((RunningTasks, Action<Task>))state!;
                self._abandoned.TryRemove(task, out _);
                callback(task);
            },
            (this, onCompleted),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Waits for abandoned handlers to end (they were cancelled) until the token fires.</summary>
    public async Task WaitForAbandonedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_abandoned.Keys).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Their errors were logged by the continuation.
        }
        catch (OperationCanceledException)
        {
            // Grace period over: the process exits without them.
        }
    }
}
