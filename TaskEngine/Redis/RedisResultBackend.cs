using System.Text.Json;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Protocol;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// Celery's Redis result backend (celery-wire-format.md §2): <c>celery-task-meta-&lt;id&gt;</c> written with
/// Celery's GET (never overwrite SUCCESS), SETEX and PUBLISH of the same JSON on the channel of the same name, done
/// by one Lua script so a store is one round trip.
/// Also keeps revocations (<c>onboarding-revoked-&lt;id&gt;</c> with a TTL, announced on <c>onboarding-revoke</c>).
/// </summary>
internal sealed class RedisResultBackend(
    IConnectionMultiplexer redis,
    IOptions<TaskEngineOptions> options,
    TimeProvider timeProvider)
{
    public const string RevokeChannelName = "onboarding-revoke";
    private const string MetaPrefix = "celery-task-meta-";
    private const string RevokedPrefix = "onboarding-revoked-";
    private const string RevokedIndex = "onboarding-revoked";

    // celery-wire-format.md §2.3 in one atomic script: skip when the stored status is SUCCESS (JSON that does not
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

    private readonly TaskEngineOptions _options = options.Value;
    private readonly long _storeTtlMilliseconds = (long)options.Value.ResultExpires.TotalMilliseconds;

    public RedisChannel RevokeChannel { get; } = RedisChannel.Literal(options.Value.ResultKeyPrefix + RevokeChannelName);

    public string MetaKey(string taskId) => string.Concat(_options.ResultKeyPrefix, MetaPrefix, taskId);

    public async Task<ResultMeta?> GetAsync(string taskId, CancellationToken cancellationToken)
    {
        var value = await redis.GetDatabase().StringGetAsync(MetaKey(taskId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return value.HasValue ? ResultMeta.Parse((byte[])value!) : null;
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

    /// <summary>Subscribe, then GET, then re-poll every <see cref="TaskEngineOptions.ResultPollInterval"/> until ready or timeout.</summary>
    public async Task<ResultMeta> WaitAsync(string taskId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var channel = RedisChannel.Literal(MetaKey(taskId));
        var ready = new TaskCompletionSource<ResultMeta>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnMessage(RedisChannel _, RedisValue value)
        {
            try
            {
                var meta = ResultMeta.Parse((byte[])value!);
                if (meta.State.IsReady())
                {
                    ready.TrySetResult(meta);
                }
            }
            catch (JsonException)
            {
                // Not meta JSON: ignore, the poll reads the key.
            }
        }

        var subscriber = redis.GetSubscriber();
        await subscriber.SubscribeAsync(channel, OnMessage).WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var started = timeProvider.GetTimestamp();
            while (true)
            {
                var meta = await GetAsync(taskId, cancellationToken).ConfigureAwait(false);
                if (meta is not null && meta.State.IsReady())
                {
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
                    return await ready.Task.WaitAsync(wait, timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Poll again: a notification can be missed across reconnects.
                }
            }
        }
        finally
        {
            // Not awaited on the caller's path: the server's reply to UNSUBSCRIBE carries nothing we need.
            subscriber.Unsubscribe(channel, OnMessage, CommandFlags.FireAndForget);
        }
    }

    /// <summary>
    /// Persists a revocation: a key per id with a TTL, an entry in the <c>onboarding-revoked</c> index (scored by
    /// expiry, so workers can load the live ones at start), and a PUBLISH so running workers learn at once.
    /// </summary>
    public async Task RevokeAsync(string taskId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expiresAt = (now + _options.RevokeExpires).ToUnixTimeMilliseconds();
        var index = (RedisKey)(_options.ResultKeyPrefix + RevokedIndex);
        var transaction = redis.GetDatabase().CreateTransaction();
        var set = transaction.StringSetAsync(_options.ResultKeyPrefix + RevokedPrefix + taskId, "1", _options.RevokeExpires);
        var add = transaction.SortedSetAddAsync(index, taskId, expiresAt);
        var trim = transaction.SortedSetRemoveRangeByScoreAsync(index, double.NegativeInfinity, now.ToUnixTimeMilliseconds());
        var expire = transaction.KeyExpireAsync(index, _options.RevokeExpires);
        var publish = transaction.PublishAsync(RevokeChannel, taskId);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(set, add, trim, expire, publish).ConfigureAwait(false);
    }

    /// <summary>The revocations that have not expired: id and expiry (Unix ms).</summary>
    public async Task<SortedSetEntry[]> LiveRevocationsAsync(CancellationToken cancellationToken) =>
        await redis.GetDatabase().SortedSetRangeByScoreWithScoresAsync(
                _options.ResultKeyPrefix + RevokedIndex, timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), double.PositiveInfinity,
                Exclude.Start)
            .WaitAsync(cancellationToken).ConfigureAwait(false);

    public TimeSpan RevokeExpires => _options.RevokeExpires;

    public Task<bool> IsRevokedAsync(string taskId, CancellationToken cancellationToken) =>
        redis.GetDatabase().KeyExistsAsync(_options.ResultKeyPrefix + RevokedPrefix + taskId).WaitAsync(cancellationToken);

    public ISubscriber Subscriber => redis.GetSubscriber();
}
