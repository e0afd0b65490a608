using System.Text.Json;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Workflows;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// The Redis side of workflows, in Celery's key formats: chord sizes and part returns
/// (<c>celery-taskset-meta-&lt;gid&gt;.s/.j/.t</c>), saved group results (<c>celery-taskset-meta-&lt;gid&gt;</c>), plus
/// what Celery lacks: a <c>.fired</c> flag for exactly-once chord bodies and the workflow index
/// (<c>onboarding-workflow-&lt;root&gt;</c>) for status trees.
/// </summary>
internal sealed class RedisWorkflowStore(IConnectionMultiplexer redis, IOptions<TaskEngineOptions> options) : IWorkflowStore
{
    public const string GroupPrefix = "celery-taskset-meta-";
    public const string IndexPrefix = "onboarding-workflow-";

    // Celery's MULTI (ZADD, ZCOUNT, GET .t, GET .s, EXPIRE x3) as one atomic script, with one change: a part whose
    // task id was counted before is not added again, so a re-executed part (with any result) counts once. The ids
    // counted by our workers live in a set beside .j, which keeps each part return constant-time (a scan of .j made
    // a chord of n parts cost n²); parts that Python workers return are counted as Celery counts them.
    private const string PartReturnScript = """
        if redis.call('SADD', KEYS[4], ARGV[3]) == 1 then
          redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
        end
        local count = redis.call('ZCOUNT', KEYS[1], '-inf', '+inf')
        local extra = redis.call('GET', KEYS[2])
        local size = redis.call('GET', KEYS[3])
        redis.call('EXPIRE', KEYS[1], ARGV[4])
        redis.call('EXPIRE', KEYS[2], ARGV[4])
        redis.call('EXPIRE', KEYS[3], ARGV[4])
        redis.call('EXPIRE', KEYS[4], ARGV[4])
        return {count, extra or false, size or false}
        """;

    // ARGV: field, value, field, value, ..., TTL in seconds.
    private const string IndexScript = """
        for i = 1, #ARGV - 1, 2 do
          redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
        end
        redis.call('EXPIRE', KEYS[1], ARGV[#ARGV])
        return 1
        """;

    private readonly TaskEngineOptions _options = options.Value;

    private IDatabase Database => redis.GetDatabase();

    public string GroupKey(string groupId) => string.Concat(_options.ResultKeyPrefix, GroupPrefix, groupId);

    public string IndexKey(string rootId) => string.Concat(_options.ResultKeyPrefix, IndexPrefix, rootId);

    public TimeSpan Expires => _options.ResultExpires;

    /// <summary>SETEX <c>.s</c> and PUBLISH, as Celery's <c>backend.set</c>.</summary>
    public async Task SetChordSizeAsync(string groupId, int size, CancellationToken cancellationToken)
    {
        var key = GroupKey(groupId) + ".s";
        var value = size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Database.StringSetAsync(key, value, _options.ResultExpires).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Database.PublishAsync(RedisChannel.Literal(key), value).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>GroupResult.save(): SETEX <c>celery-taskset-meta-&lt;gid&gt;</c> and PUBLISH.</summary>
    public async Task SaveGroupAsync(string groupId, string json, CancellationToken cancellationToken)
    {
        var key = GroupKey(groupId);
        await Database.StringSetAsync(key, json, _options.ResultExpires).WaitAsync(cancellationToken).ConfigureAwait(false);
        await Database.PublishAsync(RedisChannel.Literal(key), json).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<string?> GetGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        var value = await Database.StringGetAsync(GroupKey(groupId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return value.HasValue ? (string?)value : null;
    }

    /// <summary>Adds this part's <c>[1, tid, state, result]</c> (once per task id) and reads the counters, atomically.</summary>
    public async Task<ChordPartReturn> AddChordPartAsync(
        string groupId, int? groupIndex, string member, string taskId, CancellationToken cancellationToken)
    {
        var key = GroupKey(groupId);
        var score = groupIndex is { } index ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : "+inf";
        var ttl = ((long)_options.ResultExpires.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var result = (RedisResult[])(await Database.ScriptEvaluateAsync(
            PartReturnScript,
            [key + ".j", key + ".t", key + ".s", key + ".ids"],
            [member, score, taskId, ttl]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
        var extra = result[1].IsNull ? 0 : long.Parse((string)result[1]!, System.Globalization.CultureInfo.InvariantCulture);
        long? size = result[2].IsNull ? null : long.Parse((string)result[2]!, System.Globalization.CultureInfo.InvariantCulture);
        return new ChordPartReturn((long)result[0], extra, size);
    }

    /// <summary>
    /// SET <c>celery-taskset-meta-&lt;gid&gt;.fired</c> NX with the result TTL: true for exactly one caller, the one
    /// that publishes the body (Celery has no such flag).
    /// </summary>
    public Task<bool> TryTakeFiredAsync(string groupId, string taskId, CancellationToken cancellationToken) =>
        Database.StringSetAsync(GroupKey(groupId) + ".fired", taskId, _options.ResultExpires, When.NotExists).WaitAsync(cancellationToken);

    /// <summary>The task id of the part that took the <c>.fired</c> flag, or null.</summary>
    public async Task<string?> GetFiredByAsync(string groupId, CancellationToken cancellationToken) =>
        await Database.StringGetAsync(GroupKey(groupId) + ".fired").WaitAsync(cancellationToken).ConfigureAwait(false) is { HasValue: true } value
            ? value.ToString()
            : null;

    /// <summary>ZRANGE <c>.j</c> 0 -1: the parts ordered by group_index.</summary>
    public async Task<IReadOnlyList<ChordMember>> GetChordPartsAsync(string groupId, CancellationToken cancellationToken)
    {
        var values = await Database.SortedSetRangeByRankAsync(GroupKey(groupId) + ".j").WaitAsync(cancellationToken).ConfigureAwait(false);
        var members = new List<ChordMember>(values.Length);
        foreach (var value in values)
        {
            using var document = JsonDocument.Parse((string)value!);
            var root = document.RootElement;
            members.Add(new ChordMember(root[1].GetString() ?? string.Empty, root[2].GetString() ?? string.Empty, root[3].Clone()));
        }

        return members;
    }

    /// <summary>
    /// MULTI DEL .j .t .s EXEC. The <c>.fired</c> flag and the <c>.ids</c> set stay until their TTL, so a part
    /// redelivered after the body fired is recognised and not counted into a new, never-complete <c>.j</c>.
    /// </summary>
    public async Task DeleteChordAsync(string groupId)
    {
        var key = GroupKey(groupId);
        var transaction = Database.CreateTransaction();
        _ = transaction.KeyDeleteAsync([key + ".j", key + ".t", key + ".s"]);
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    /// <summary>HSETNX every entry into the workflow index of <paramref name="rootId"/> (the first writer wins) and refresh its TTL.</summary>
    /// <remarks>
    /// One script call, whatever the number of entries: a 1,000-part chord's index was 1,001 commands (an HSETNX per
    /// entry in a batch), each a message, a task and a reply for this process and Redis to handle.
    /// </remarks>
    public async Task IndexAsync(string rootId, IReadOnlyList<KeyValuePair<string, string>> entries, CancellationToken cancellationToken)
    {
        if (entries.Count == 0)
        {
            return;
        }

        var values = new RedisValue[entries.Count * 2 + 1];
        for (var i = 0; i < entries.Count; i++)
        {
            values[2 * i] = entries[i].Key;
            values[2 * i + 1] = entries[i].Value;
        }

        values[^1] = (long)_options.ResultExpires.TotalSeconds;
        await Database.ScriptEvaluateAsync(IndexScript, [IndexKey(rootId)], values).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<KeyValuePair<string, string>>> GetIndexAsync(string rootId, CancellationToken cancellationToken)
    {
        var entries = await Database.HashGetAllAsync(IndexKey(rootId)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. entries.Select(entry => new KeyValuePair<string, string>((string)entry.Name!, (string)entry.Value!))];
    }
}
