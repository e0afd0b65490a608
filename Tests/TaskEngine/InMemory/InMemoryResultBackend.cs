using System.Collections.Concurrent;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Tests.TaskEngine.InMemory;

/// <summary>
/// A result backend in memory, for unit tests only: Celery's rules (a SUCCESS is never overwritten, a stored ready
/// state completes the waiters), revocations that expire on the given clock and reach the subscribers at once.
/// </summary>
internal sealed class InMemoryResultBackend(TimeProvider timeProvider) : IResultBackend
{
    private readonly ConcurrentDictionary<string, byte[]> _metas = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ResultRegistration> _registrations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _revoked = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Action<string>, byte> _subscribers = new();

    public TimeSpan ResultPollInterval { get; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RevokeExpires { get; } = TimeSpan.FromDays(1);

    public bool RevocationsConnected => true;

    /// <summary>How many stores were made (skipped ones included), for assertions on what the executor wrote.</summary>
    public int StoreCount => Volatile.Read(ref _storeCount);

    private int _storeCount;

    public ResultMeta? Stored(string taskId) => _metas.TryGetValue(taskId, out var json) ? ResultMeta.Parse(json) : null;

    public Task<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken) => Task.FromResult(Stored(taskId));

    public Task<IReadOnlyList<ResultMeta?>> GetManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<ResultMeta?>>([.. taskIds.Select(Stored)]);

    public Task<IReadOnlyList<byte[]?>> GetRawManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<byte[]?>>([.. taskIds.Select(id => _metas.TryGetValue(id, out var json) ? json : null)]);

    public Task<bool> StoreAsync(string taskId, byte[] json, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _storeCount);
        var stored = true;
        _metas.AddOrUpdate(taskId, json, (_, current) =>
        {
            if (ResultMeta.Parse(current).State == TaskState.Success)
            {
                stored = false;
                return current;
            }

            return json;
        });
        var meta = ResultMeta.Parse(_metas[taskId]);
        if (stored && meta.State.IsReady() && _registrations.TryRemove(taskId, out var registration))
        {
            registration.Ready.TrySetResult(meta);
        }

        return Task.FromResult(stored);
    }

    public ResultRegistration Register(string taskId)
    {
        var registration = _registrations.GetOrAdd(taskId, id => new ResultRegistration(id, timeProvider.GetTimestamp()));
        if (registration.TryStart())
        {
            registration.SetSubscription(Task.CompletedTask);
        }

        return registration;
    }

    public void Release(ResultRegistration registration) =>
        _registrations.TryRemove(new KeyValuePair<string, ResultRegistration>(registration.Key, registration));

    public async Task<ResultMeta> WaitAsync(string taskId, ResultRegistration? registration, TimeSpan timeout, CancellationToken cancellationToken)
    {
        registration ??= Register(taskId);
        if (Stored(taskId) is { } meta && meta.State.IsReady())
        {
            return meta;
        }

        return await registration.Ready.Task.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
    }

    public Task RevokeAsync(string taskId, CancellationToken cancellationToken, bool notify = true)
    {
        _revoked[taskId] = (timeProvider.GetUtcNow() + RevokeExpires).ToUnixTimeMilliseconds();
        if (notify)
        {
            foreach (var subscriber in _subscribers.Keys)
            {
                subscriber(taskId);
            }
        }

        return Task.CompletedTask;
    }

    public Task<bool> IsRevokedAsync(string taskId, CancellationToken cancellationToken) =>
        Task.FromResult(_revoked.TryGetValue(taskId, out var expiresAt) && expiresAt > timeProvider.GetUtcNow().ToUnixTimeMilliseconds());

    public Task<IReadOnlyList<KeyValuePair<string, long>>> LiveRevocationsAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        return Task.FromResult<IReadOnlyList<KeyValuePair<string, long>>>([.. _revoked.Where(entry => entry.Value > now)]);
    }

    public Task SubscribeRevocationsAsync(Action<string> onRevoked)
    {
        _subscribers.TryAdd(onRevoked, 0);
        return Task.CompletedTask;
    }

    public Task UnsubscribeRevocationsAsync(Action<string> onRevoked)
    {
        _subscribers.TryRemove(onRevoked, out _);
        return Task.CompletedTask;
    }

    public bool IsTransient(Exception exception) => false;
}
