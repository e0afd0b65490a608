namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// The result-backend seam: where task outcomes and revocations are kept (Redis in production, <c>Redis/</c>). The
/// client, the executor, the workflow runtime and remote control talk to this, never to a client library.
/// </summary>
internal interface IResultBackend
{
    /// <summary>How often waits re-read what they wait for (<c>TaskEngine:ResultPollInterval</c>).</summary>
    TimeSpan ResultPollInterval { get; }

    /// <summary>How long a revocation is remembered (<c>TaskEngine:RevokeExpires</c>).</summary>
    TimeSpan RevokeExpires { get; }

    /// <summary>The stored meta of a task, or null while nothing is stored (PENDING).</summary>
    Task<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>The stored metas of <paramref name="taskIds"/> in one round trip, in order (null where nothing is stored).</summary>
    Task<IReadOnlyList<ResultMeta?>> GetManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken);

    /// <summary>The stored meta JSON of <paramref name="taskIds"/> in one round trip, in order (null where nothing is stored).</summary>
    Task<IReadOnlyList<byte[]?>> GetRawManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken);

    /// <summary>
    /// Stores meta JSON and announces it to waiters, unless SUCCESS is stored already (Celery never overwrites a
    /// SUCCESS). Returns false when it skipped the write.
    /// </summary>
    Task<bool> StoreAsync(string taskId, byte[] json, CancellationToken cancellationToken);

    /// <summary>
    /// Registers interest in a task's result before its message is published (Celery's <c>on_task_call</c>), so
    /// that a result arriving before anyone waits is not missed.
    /// </summary>
    ResultRegistration Register(string taskId);

    /// <summary>Drops a registration whose task was never published.</summary>
    void Release(ResultRegistration registration);

    /// <summary>
    /// Waits for a ready state (through <paramref name="registration"/> when there is one); throws
    /// <see cref="TimeoutException"/> on timeout.
    /// </summary>
    Task<ResultMeta> WaitAsync(string taskId, ResultRegistration? registration, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Remembers a revocation for <see cref="RevokeExpires"/> and, with <paramref name="notify"/>, tells running
    /// workers at once (they stop the task if they run it).
    /// </summary>
    Task RevokeAsync(string taskId, CancellationToken cancellationToken, bool notify = true);

    /// <summary>Whether a revocation of <paramref name="taskId"/> is remembered.</summary>
    Task<bool> IsRevokedAsync(string taskId, CancellationToken cancellationToken);

    /// <summary>The revocations that have not expired: id and expiry (Unix ms).</summary>
    Task<IReadOnlyList<KeyValuePair<string, long>>> LiveRevocationsAsync(CancellationToken cancellationToken);

    /// <summary>Calls <paramref name="onRevoked"/> with each task id revoked with notification from now on.</summary>
    Task SubscribeRevocationsAsync(Action<string> onRevoked);

    /// <summary>Stops the calls <see cref="SubscribeRevocationsAsync"/> started.</summary>
    Task UnsubscribeRevocationsAsync(Action<string> onRevoked);

    /// <summary>Whether revocation notices arrive now (when not, a worker's copy of the revocations may be stale).</summary>
    bool RevocationsConnected { get; }

    /// <summary>
    /// Whether <paramref name="exception"/> says the backend is unreachable or not ready, i.e. the same call may
    /// succeed later (then outcomes are retried, not failed).
    /// </summary>
    bool IsTransient(Exception exception);
}
