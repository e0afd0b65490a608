using System.Text.Json;
using System.Text.Json.Serialization;
using Onboarding.TaskEngine.Scheduling;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// The periodic tasks in Redis, for operators: the scheduler keeps nothing but ticks and a lease there, so without
/// this record no other process could list the entries a worker declares in code or configuration.
/// </summary>
/// <remarks>
/// A hash <c>&lt;prefix&gt;-entries</c>, one JSON field per entry, written by every scheduler at start (a standby too, so
/// the entries show while the leader is busy elsewhere) and by the leader after each fire (its next run). Its TTL is
/// the tick memory, renewed on every write. Each write stores the last and the next run together (at declaration the
/// last run is the tick key the scheduler keeps), so that a reader never pairs a tick just claimed with the next run
/// recorded before it. The lease holder is read from the lease, whose owner token begins with the node name
/// (<c>node|machine:pid:instance</c>).
/// </remarks>
internal sealed class RedisPeriodicTaskBoard(IConnectionMultiplexer redis, BeatSettings beat, TimeProvider timeProvider)
    : IPeriodicTaskBoard, IPeriodicTaskRecorder
{
    private readonly BeatKeys _keys = new(beat.KeyPrefix);

    private string EntriesKey => _keys.Entries;

    private string LeaseKey => _keys.Lease;

    private string TickKey(string name) => _keys.Tick(name);

    public async Task DeclareAsync(IEnumerable<PeriodicTaskDefinition> definitions, string node, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var declared = definitions.ToList();
        if (declared.Count == 0)
        {
            return;
        }

        var database = redis.GetDatabase();
        var ticks = await database.StringGetAsync([.. declared.Select(d => (RedisKey)TickKey(d.Name))]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var fields = declared
            .Select((d, i) => new HashEntry(d.Name, Serialize(d, BeatKeys.TickOf(ticks[i]), d.Schedule.GetNextOccurrence(now), node, now)))
            .ToArray();
        await database.HashSetAsync(EntriesKey, fields).WaitAsync(cancellationToken).ConfigureAwait(false);
        await database.KeyExpireAsync(EntriesKey, beat.TickMemory).ConfigureAwait(false);
    }

    /// <summary>Records the entry's next run after <paramref name="tick"/> fired.</summary>
    public async Task RecordFiredAsync(PeriodicTaskDefinition definition, DateTimeOffset tick, string node)
    {
        var now = timeProvider.GetUtcNow();
        var next = definition.Schedule.GetNextOccurrence(tick > now ? tick : now);
        var database = redis.GetDatabase();
        await database.HashSetAsync(EntriesKey, definition.Name, Serialize(definition, tick, next, node, now)).ConfigureAwait(false);
        await database.KeyExpireAsync(EntriesKey, beat.TickMemory).ConfigureAwait(false);
    }

    public async Task<PeriodicTaskBoardState> ReadAsync(CancellationToken cancellationToken = default)
    {
        var database = redis.GetDatabase();
        var fields = await database.HashGetAllAsync(EntriesKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        var records = fields
            .Select(field => Deserialize(field.Value.ToString()))
            .OfType<PeriodicTaskEntry>()
            .OrderBy(record => record.Name, StringComparer.Ordinal)
            .ToList();
        var lease = await database.StringGetWithExpiryAsync(LeaseKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        var owner = lease.Value.HasValue ? lease.Value.ToString() : null;
        return new PeriodicTaskBoardState(records, owner?.Split(IPeriodicTaskRecorder.OwnerSeparator)[0], owner, owner is null ? null : lease.Expiry);
    }

    /// <summary>A field another version wrote in a shape this one cannot read is left out, not an error for the page.</summary>
    private static PeriodicTaskEntry? Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RedisPeriodicTaskBoardJson.Default.PeriodicTaskEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Serialize(PeriodicTaskDefinition definition, DateTimeOffset? last, DateTimeOffset? next, string node, DateTimeOffset now) =>
        JsonSerializer.Serialize(new PeriodicTaskEntry(definition.Name, definition.TaskName, definition.Schedule.ToString() ?? string.Empty,
            definition.Args, definition.Kwargs, definition.Queue, definition.ExpiresIn, last, next, node, now), RedisPeriodicTaskBoardJson.Default.PeriodicTaskEntry);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PeriodicTaskEntry))]
internal sealed partial class RedisPeriodicTaskBoardJson : JsonSerializerContext;
