using System.Text.Json;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// Celery's Redis result backend (docs/wire-format.md, "Results in Redis"): <c>celery-task-meta-&lt;id&gt;</c> written with
/// Celery's GET (never overwrite SUCCESS), SETEX and PUBLISH of the same JSON on the channel of the same name, done
/// by one Lua script so a store is one round trip.
/// Also keeps revocations (<c>onboarding-revoked-&lt;id&gt;</c> with a TTL, announced on <c>onboarding-revoke</c>).
/// </summary>
internal sealed class RedisResultBackend(
    IConnectionMultiplexer redis,
    IOptions<TaskEngineOptions> options,
    TimeProvider timeProvider) : IResultBackend
{
    public const string RevokeChannelName = "onboarding-revoke";
    private const string MetaPrefix = "celery-task-meta-";
    private const string RevokedPrefix = "onboarding-revoked-";
    private const string RevokedIndex = "onboarding-revoked";

    // Celery's store (docs/wire-format.md, "Storing a result") in one atomic script: skip when the stored status is SUCCESS (JSON that does not
    // decode, or has no such status, is overwritten as before), else SETEX + PUBLISH of the same bytes.
    internal const string StoreScript = """
        local current = redis.call('GET', KEYS[1])
        if current then
          local ok, meta = pcall(cjson.decode, current)
          if ok and type(meta) == 'table' and meta['status'] == 'SUCCESS' then
            return 0
          end
        end
        local ttl = tonumber(ARGV[2])
        if ttl % 1000 == 0 then
          redis.call('SETEX', KEYS[1], ttl / 1000, ARGV[1])
        else
          redis.call('PSETEX', KEYS[1], ttl, ARGV[1])
        end
        redis.call('PUBLISH', KEYS[1], ARGV[1])
        return 1
        """;

    private static readonly byte[] StoreScriptHash = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(StoreScript));

    /// <summary>How long a registration nobody waits on keeps its subscription.</summary>
    internal static readonly TimeSpan RegistrationIdleLimit = TimeSpan.FromSeconds(60);

    private readonly TaskEngineOptions _options = options.Value;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ResultRegistration> _registrations = new(StringComparer.Ordinal);
    private long _lastSweep = timeProvider.GetTimestamp();
    private Action<RedisChannel, RedisValue>? _messageHandler;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Action<string>, Action<RedisChannel, RedisValue>> _revocationHandlers = new();

    // One delegate for every channel, so an UNSUBSCRIBE of one id removes exactly the handler its SUBSCRIBE added.
    private Action<RedisChannel, RedisValue> MessageHandler => _messageHandler ??= OnMessage;
    private readonly long _storeTtlMilliseconds = (long)options.Value.ResultExpires.TotalMilliseconds;

    public RedisChannel RevokeChannel { get; } = RedisChannel.Literal(options.Value.ResultKeyPrefix + RevokeChannelName);

    /// <summary>How often waits re-read what they wait for (<see cref="TaskEngineOptions.ResultPollInterval"/>).</summary>
    public TimeSpan ResultPollInterval => _options.ResultPollInterval;

    public string MetaKey(string taskId) => string.Concat(_options.ResultKeyPrefix, MetaPrefix, taskId);

    public async Task<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken)
    {
        var value = await redis.GetDatabase().StringGetAsync(MetaKey(taskId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return value.HasValue ? ResultMeta.Parse((byte[])value!) : null;
    }

    /// <summary>The stored metas of <paramref name="taskIds"/> in one MGET, in order (null where nothing is stored).</summary>
    public async Task<IReadOnlyList<ResultMeta?>> GetManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        var values = await GetValuesAsync(taskIds, cancellationToken).ConfigureAwait(false);
        return [.. values.Select(value => value.HasValue ? ResultMeta.Parse((byte[])value!) : null)];
    }

    /// <summary>The stored meta JSON of <paramref name="taskIds"/> in one MGET, in order (null where nothing is stored).</summary>
    public async Task<IReadOnlyList<byte[]?>> GetRawManyAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        var values = await GetValuesAsync(taskIds, cancellationToken).ConfigureAwait(false);
        return [.. values.Select(value => value.HasValue ? (byte[]?)value : null)];
    }

    private async Task<RedisValue[]> GetValuesAsync(IReadOnlyList<string> taskIds, CancellationToken cancellationToken)
    {
        if (taskIds.Count == 0)
        {
            return [];
        }

        var keys = new RedisKey[taskIds.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = MetaKey(taskIds[i]);
        }

        return await redis.GetDatabase().StringGetAsync(keys).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores meta JSON unless SUCCESS is already stored, in one round trip: <see cref="StoreScript"/> (EVALSHA, EVAL
    /// when the server lost the script) does Celery's GET check, SETEX (PSETEX for a sub-second TTL) and PUBLISH of
    /// the same bytes atomically. Returns false when it skipped the write.
    /// </summary>
    public async Task<bool> StoreAsync(string taskId, byte[] json, CancellationToken cancellationToken)
    {
        RedisKey[] keys = [MetaKey(taskId)];
        RedisValue[] values = [json, _storeTtlMilliseconds];
        var database = redis.GetDatabase();
        RedisResult result;
        try
        {
            result = await database.ScriptEvaluateAsync(StoreScriptHash, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            result = await database.ScriptEvaluateAsync(StoreScript, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (long)result == 1;
    }

    /// <summary>
    /// Registers interest in a task's result before its message is published (Celery's <c>on_task_call</c>):
    /// the one process-wide subscriber connection SUBSCRIBEs to <c>celery-task-meta-&lt;id&gt;</c> with the shared
    /// handler, without waiting for the reply. A wait on the returned registration needs no SUBSCRIBE of its own, and
    /// a result that arrives before anyone waits is kept in memory.
    /// </summary>
    public ResultRegistration Register(string taskId)
    {
        SweepIfDue();
        return Acquire(taskId);
    }

    /// <summary>Drops a registration whose task was never published.</summary>
    public void Release(ResultRegistration registration) => Remove(registration);

    /// <summary>
    /// Waits for a ready state: with the (shared, per-id) subscription confirmed, GET covers a result stored before
    /// it, then the notification completes the wait, with a GET every <see cref="TaskEngineOptions.ResultPollInterval"/>
    /// in case a notification was missed across reconnects. Throws <see cref="TimeoutException"/> on timeout.
    /// </summary>
    public Task<ResultMeta> WaitAsync(string taskId, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(taskId, null, timeout, cancellationToken);

    public async Task<ResultMeta> WaitAsync(string taskId, ResultRegistration? registration, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (registration is { Ready.Task.IsCompletedSuccessfully: true })
        {
            return registration.Ready.Task.Result;
        }

        if (registration is null || registration.IsRemoved)
        {
            registration = Acquire(taskId);
        }

        Interlocked.Increment(ref registration.Waiters);
        var completed = false;
        try
        {
            var started = timeProvider.GetTimestamp();
            await registration.Subscribed.WaitAsync(timeout, timeProvider, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                if (registration.Ready.Task.IsCompletedSuccessfully)
                {
                    completed = true;
                    return registration.Ready.Task.Result;
                }

                var meta = await GetAsync(taskId, cancellationToken).ConfigureAwait(false);
                if (meta is not null && meta.State.IsReady())
                {
                    completed = true;
                    Complete(registration, meta);
                    return meta;
                }

                var remaining = timeout - timeProvider.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    throw new TimeoutException($"Task {taskId} was not ready within {timeout}.");
                }

                try
                {
                    var wait = remaining < _options.ResultPollInterval ? remaining : _options.ResultPollInterval;
                    var ready = await registration.Ready.Task.WaitAsync(wait, timeProvider, cancellationToken).ConfigureAwait(false);
                    completed = true;
                    return ready;
                }
                catch (TimeoutException)
                {
                    // Poll again: a notification can be missed across reconnects.
                }
            }
        }
        finally
        {
            // The last waiter that gives up (timeout, cancellation, error) unsubscribes; a completed one already did.
            if (Interlocked.Decrement(ref registration.Waiters) == 0 && !completed)
            {
                Remove(registration);
            }
        }
    }

    private ResultRegistration Acquire(string taskId)
    {
        var key = MetaKey(taskId);
        while (true)
        {
            var registration = _registrations.GetOrAdd(key, static (k, createdAt) => new ResultRegistration(k, createdAt), timeProvider.GetTimestamp());
            if (registration.TryStart())
            {
                try
                {
                    registration.SetSubscription(redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(key), MessageHandler));
                }
                catch (Exception ex)
                {
                    registration.SetSubscription(Task.FromException(ex));
                }
            }

            if (!registration.IsRemoved)
            {
                return registration;
            }
        }
    }

    private void OnMessage(RedisChannel channel, RedisValue value)
    {
        if (!_registrations.TryGetValue(channel.ToString(), out var registration))
        {
            return;
        }

        try
        {
            var meta = ResultMeta.Parse((byte[])value!);
            if (meta.State.IsReady())
            {
                Complete(registration, meta);
            }
        }
        catch (JsonException)
        {
            // Not meta JSON: ignore, the poll reads the key.
        }
    }

    private void Complete(ResultRegistration registration, ResultMeta meta)
    {
        registration.Ready.TrySetResult(meta);
        Remove(registration);
    }

    private void Remove(ResultRegistration registration)
    {
        if (registration.MarkRemoved() && _registrations.TryRemove(new KeyValuePair<string, ResultRegistration>(registration.Key, registration)))
        {
            // Not awaited on the caller's path: the server's reply to UNSUBSCRIBE carries nothing we need.
            redis.GetSubscriber().Unsubscribe(RedisChannel.Literal(registration.Key), MessageHandler, CommandFlags.FireAndForget);
        }
    }

    // Registrations made by SendAsync whose result nobody awaits would keep their subscription: drop those nobody
    // has waited on for RegistrationIdleLimit (a later GetAsync subscribes again).
    private void SweepIfDue()
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (timeProvider.GetElapsedTime(last) < RegistrationIdleLimit || Interlocked.CompareExchange(ref _lastSweep, timeProvider.GetTimestamp(), last) != last)
        {
            return;
        }

        foreach (var (_, registration) in _registrations)
        {
            if (Volatile.Read(ref registration.Waiters) == 0 && timeProvider.GetElapsedTime(registration.CreatedAt) >= RegistrationIdleLimit)
            {
                Remove(registration);
            }
        }
    }

    /// <summary>
    /// Persists a revocation: a key per id with a TTL, an entry in the <c>onboarding-revoked</c> index (scored by
    /// expiry, so workers can load the live ones at start), and a PUBLISH so running workers learn at once (and stop
    /// the task if they run it). <paramref name="notify"/> false leaves the PUBLISH out: remote control's revoke without
    /// terminate reaches every worker itself and must not stop a running task.
    /// </summary>
    public async Task RevokeAsync(string taskId, CancellationToken cancellationToken, bool notify = true)
    {
        var now = timeProvider.GetUtcNow();
        var expiresAt = (now + _options.RevokeExpires).ToUnixTimeMilliseconds();
        var index = (RedisKey)(_options.ResultKeyPrefix + RevokedIndex);
        var transaction = redis.GetDatabase().CreateTransaction();
        var set = transaction.StringSetAsync(_options.ResultKeyPrefix + RevokedPrefix + taskId, "1", _options.RevokeExpires);
        var add = transaction.SortedSetAddAsync(index, taskId, expiresAt);
        var trim = transaction.SortedSetRemoveRangeByScoreAsync(index, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
        var expire = transaction.KeyExpireAsync(index, _options.RevokeExpires);
        var publish = notify ? transaction.PublishAsync(RevokeChannel, taskId) : Task.FromResult(0L);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(set, add, trim, expire, publish).ConfigureAwait(false);
    }

    /// <summary>The revocations that have not expired: id and expiry (Unix ms).</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, long>>> LiveRevocationsAsync(CancellationToken cancellationToken)
    {
        var entries = await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(
                _options.ResultKeyPrefix + RevokedIndex, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), double.PositiveInfinity,
                Exclude.Start)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. entries.Select(entry => new KeyValuePair<string, long>(entry.Element.ToString(), (long)entry.Score))];
    }

    public TimeSpan RevokeExpires => _options.RevokeExpires;

    public Task<bool> IsRevokedAsync(string taskId, CancellationToken cancellationToken) =>
        redis.GetDatabase().KeyExistsAsync(_options.ResultKeyPrefix + RevokedPrefix + taskId).WaitAsync(cancellationToken);

    public Task SubscribeRevocationsAsync(Action<string> onRevoked) =>
        redis.GetSubscriber().SubscribeAsync(RevokeChannel, RevocationHandler(onRevoked));

    public Task UnsubscribeRevocationsAsync(Action<string> onRevoked) =>
        _revocationHandlers.TryRemove(onRevoked, out var handler)
            ? redis.GetSubscriber().UnsubscribeAsync(RevokeChannel, handler)
            : Task.CompletedTask;

    public bool RevocationsConnected => redis.GetSubscriber().IsConnected(RevokeChannel);

    public bool IsTransient(Exception exception) => RedisErrors.IsTransient(exception);

    // The library's handler for a caller's: kept so that the unsubscribe removes exactly what the subscribe added.
    private Action<RedisChannel, RedisValue> RevocationHandler(Action<string> onRevoked) =>
        _revocationHandlers.GetOrAdd(onRevoked, static callback => (_, taskId) =>
        {
            if (taskId.HasValue)
            {
                callback(taskId.ToString());
            }
        });
}
