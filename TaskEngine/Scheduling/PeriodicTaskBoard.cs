using System.Text.Json;
using System.Text.Json.Serialization;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>A periodic task as every scheduler that declares it records it, with its last and next run.</summary>
/// <param name="Name">The entry's name.</param>
/// <param name="TaskName">The task it sends.</param>
/// <param name="Schedule">The schedule in words: a cron expression, or <c>every hh:mm:ss</c>.</param>
/// <param name="Args">Positional arguments the task is sent with.</param>
/// <param name="Kwargs">Keyword arguments, if any.</param>
/// <param name="Queue">An explicit queue, or null when the routes decide.</param>
/// <param name="ExpiresIn">How long a sent task may wait before it expires.</param>
/// <param name="LastRun">The last tick fired (by any scheduler), or null when none was.</param>
/// <param name="NextRun">The next tick due when the entry was last recorded; in the past when no scheduler fires it.</param>
/// <param name="DeclaredBy">The node whose scheduler recorded the entry last.</param>
/// <param name="RecordedAt">When it did.</param>
public sealed record PeriodicTaskEntry(
    string Name,
    string TaskName,
    string Schedule,
    IReadOnlyList<JsonElement> Args,
    IReadOnlyDictionary<string, JsonElement>? Kwargs,
    string? Queue,
    TimeSpan? ExpiresIn,
    DateTimeOffset? LastRun,
    DateTimeOffset? NextRun,
    string DeclaredBy,
    DateTimeOffset RecordedAt);

/// <summary>Every recorded periodic task and who holds the scheduler lease.</summary>
/// <param name="Entries">The entries, by name.</param>
/// <param name="LeaseHolder">The node whose scheduler fires the ticks now, or null when the lease is free (no scheduler runs).</param>
/// <param name="LeaseOwner">The lease's owner token as stored (node, machine, process and instance).</param>
/// <param name="LeaseExpiresIn">How long the lease lasts unless its holder renews it.</param>
public sealed record PeriodicTaskBoardState(
    IReadOnlyList<PeriodicTaskEntry> Entries,
    string? LeaseHolder,
    string? LeaseOwner,
    TimeSpan? LeaseExpiresIn);

/// <summary>What operators read about the periodic tasks: the schedulers record it in Redis, so any process can.</summary>
public interface IPeriodicTaskBoard
{
    Task<PeriodicTaskBoardState> ReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The periodic tasks in Redis, for operators: the scheduler keeps nothing but ticks and a lease there, so without
/// this record no other process could list the entries a worker declares in code or configuration.
/// </summary>
/// <remarks>
/// A hash <c>&lt;prefix&gt;-entries</c>, one JSON field per entry, written by every scheduler at start (a standby too, so
/// the entries show while the leader is busy elsewhere) and by the leader after each fire (its next run). Its TTL is
/// the tick memory, renewed on every write. The last run is read from the tick key the scheduler keeps anyway, and the
/// lease holder from the lease, whose owner token begins with the node name (<c>node|machine:pid:instance</c>).
/// </remarks>
internal sealed class PeriodicTaskBoard(IConnectionMultiplexer redis, BeatSettings beat, TimeProvider timeProvider) : IPeriodicTaskBoard
{
    public const char OwnerSeparator = '|';

    private string EntriesKey => beat.KeyPrefix + "-entries";

    private string LeaseKey => beat.KeyPrefix + "-lease";

    private string TickKey(string name) => beat.KeyPrefix + "-" + name;

    public async Task DeclareAsync(IEnumerable<PeriodicTaskDefinition> definitions, string node, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var fields = definitions.Select(d => new HashEntry(d.Name, Serialize(d, d.Schedule.GetNextOccurrence(now), node, now))).ToArray();
        if (fields.Length == 0)
        {
            return;
        }

        var database = redis.GetDatabase();
        await database.HashSetAsync(EntriesKey, fields).WaitAsync(cancellationToken).ConfigureAwait(false);
        await database.KeyExpireAsync(EntriesKey, beat.TickMemory).ConfigureAwait(false);
    }

    /// <summary>Records the entry's next run after <paramref name="tick"/> fired.</summary>
    public async Task RecordFiredAsync(PeriodicTaskDefinition definition, DateTimeOffset tick, string node)
    {
        var now = timeProvider.GetUtcNow();
        var next = definition.Schedule.GetNextOccurrence(tick > now ? tick : now);
        var database = redis.GetDatabase();
        await database.HashSetAsync(EntriesKey, definition.Name, Serialize(definition, next, node, now)).ConfigureAwait(false);
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
        var ticks = records.Count == 0
            ? []
            : await database.StringGetAsync([.. records.Select(record => (RedisKey)TickKey(record.Name))]).WaitAsync(cancellationToken).ConfigureAwait(false);
        var lease = await database.StringGetWithExpiryAsync(LeaseKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        var owner = lease.Value.HasValue ? lease.Value.ToString() : null;
        // The last run is not stored in the entry: it is the tick the scheduler itself keeps.
        var entries = records.Select((record, i) => record with
        {
            LastRun = ticks[i].HasValue && ticks[i].TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null,
        }).ToList();
        return new PeriodicTaskBoardState(entries, owner?.Split(OwnerSeparator)[0], owner, owner is null ? null : lease.Expiry);
    }

    /// <summary>A field another version wrote in a shape this one cannot read is left out, not an error for the page.</summary>
    private static PeriodicTaskEntry? Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, PeriodicTaskBoardJson.Default.PeriodicTaskEntry);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Serialize(PeriodicTaskDefinition definition, DateTimeOffset? next, string node, DateTimeOffset now) =>
        JsonSerializer.Serialize(new PeriodicTaskEntry(definition.Name, definition.TaskName, definition.Schedule.ToString() ?? string.Empty,
            definition.Args, definition.Kwargs, definition.Queue, definition.ExpiresIn, LastRun: null, next, node, now), PeriodicTaskBoardJson.Default.PeriodicTaskEntry);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PeriodicTaskEntry))]
internal sealed partial class PeriodicTaskBoardJson : JsonSerializerContext;
