using System.Globalization;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Monitoring;
using StackExchange.Redis;

namespace Onboarding.OperationsConsole.Indexing;

/// <summary>
/// The console's task history in Redis, so it outlives a console restart: a hash per task (<c>t:&lt;id&gt;</c>), a set of
/// children per parent (<c>c:&lt;id&gt;</c>), and sorted sets scored by when each task was first seen for paging and
/// filtering (<c>all</c>, <c>state:&lt;S&gt;</c>, <c>name:&lt;n&gt;</c>, <c>worker:&lt;node&gt;</c>). Bounded by
/// <see cref="TaskIndexOptions.MaxTasks"/> (oldest dropped first) and <see cref="TaskIndexOptions.TimeToLive"/>.
/// </summary>
public sealed class TaskIndex(IConnectionMultiplexer redis, IOptions<TaskIndexOptions> options, TimeProvider time)
{
    private const int TrimBatch = 1_000;
    // Each scan call blocks Redis while it matches, a few milliseconds per thousand tasks; a text chunk is only read.
    private const int ScanChunk = 1_000;
    private const int TextChunk = 5_000;
    private readonly TaskIndexOptions _options = options.Value;

    private string Prefix => _options.KeyPrefix;

    private IDatabase Database => redis.GetDatabase();

    /// <summary>Writes one task event; worker events are ignored here.</summary>
    public Task ApplyAsync(CeleryEvent celeryEvent)
    {
        ArgumentNullException.ThrowIfNull(celeryEvent);
        if (celeryEvent.TaskId is not { Length: > 0 } id || TaskStates.FromEventType(celeryEvent.Type) is not { } state)
        {
            return Task.CompletedTask;
        }

        var fromWorker = celeryEvent.Type != CeleryEventTypes.TaskSent;
        var arguments = new List<RedisValue>(32)
        {
            Prefix, id, celeryEvent.Type, celeryEvent.Timestamp.ToUnixTimeMilliseconds(), celeryEvent.Hostname,
            // The hash outlives the trim cutoff, so the trim still finds what to remove from the sets.
            (long)(_options.TimeToLive.TotalSeconds * 2), state, fromWorker ? "1" : "0",
        };
        void Field(string field, string? value)
        {
            arguments.Add(field);
            arguments.Add(value ?? string.Empty);
        }

        Field("name", celeryEvent.GetString("name"));
        Field("args", celeryEvent.GetString("args"));
        Field("kwargs", celeryEvent.GetString("kwargs"));
        Field("root_id", celeryEvent.GetString("root_id"));
        Field("parent_id", celeryEvent.GetString("parent_id"));
        Field("eta", celeryEvent.GetString("eta"));
        Field("expires", celeryEvent.GetString("expires"));
        Field("queue", celeryEvent.GetString("queue") ?? celeryEvent.GetString("routing_key"));
        Field("result", celeryEvent.GetString("result"));
        Field("exception", celeryEvent.GetString("exception"));
        Field("traceback", celeryEvent.GetString("traceback"));
        Field("runtime", celeryEvent.GetDouble("runtime")?.ToString("R", CultureInfo.InvariantCulture));
        Field("retries", celeryEvent.GetDouble("retries")?.ToString(CultureInfo.InvariantCulture));
        return Database.ScriptEvaluateAsync(TaskIndexScripts.Apply, values: [.. arguments]);
    }

    /// <summary>Drops what is over the bound or older than the time to live; returns how many tasks went.</summary>
    public async Task<long> TrimAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow().Add(-_options.TimeToLive).ToUnixTimeMilliseconds();
        long removed = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var batch = (long)await Database.ScriptEvaluateAsync(TaskIndexScripts.Trim,
                values: [Prefix, _options.MaxTasks, cutoff, TrimBatch]).ConfigureAwait(false);
            removed += batch;
            if (batch < TrimBatch)
            {
                break;
            }
        }

        return removed;
    }

    /// <summary>
    /// Adds the search text of tasks indexed by a console that did not write it yet; returns how many tasks it looked at.
    /// Runs in chunks, so Redis serves others in between.
    /// </summary>
    public async Task<long> BackfillSearchTextAsync(CancellationToken cancellationToken)
    {
        long looked = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var chunk = (long)await Database.ScriptEvaluateAsync(TaskIndexScripts.BackfillText, values: [Prefix, looked, TrimBatch]).ConfigureAwait(false);
            looked += chunk;
            if (chunk < TrimBatch)
            {
                break;
            }
        }

        return looked;
    }

    /// <summary>The number of tasks in the index.</summary>
    public Task<long> CountAsync() => Database.SortedSetLengthAsync(Prefix + "all");

    /// <summary>One task with its children and timeline, or null when the index does not know it.</summary>
    public async Task<TaskRecord?> GetAsync(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var hash = Database.HashGetAllAsync(Prefix + "t:" + id);
        var children = Database.SetMembersAsync(Prefix + "c:" + id);
        var entries = await hash.ConfigureAwait(false);
        if (entries.Length == 0)
        {
            return null;
        }

        var record = ToRecord(id, entries.ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal));
        return record with { Children = [.. (await children.ConfigureAwait(false)).Select(c => (string)c!).Order(StringComparer.Ordinal)] };
    }

    /// <summary>A page of tasks, newest first.</summary>
    public async Task<TaskPage> ListAsync(TaskQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var search = string.IsNullOrWhiteSpace(query.Search) ? null : query.Search.Trim();
        if (search is not null && await GetAsync(search).ConfigureAwait(false) is { } exact)
        {
            return new TaskPage([exact], 1, false, 1);
        }

        // The most selective index drives the scan; the other filters are checked on each task.
        var (set, filters) = query switch
        {
            { State: { Length: > 0 } s } => (Prefix + "state:" + s, CountFilters(query) - 1),
            { Name: { Length: > 0 } n } => (Prefix + "name:" + n, CountFilters(query) - 1),
            { Worker: { Length: > 0 } w } => (Prefix + "worker:" + w, CountFilters(query) - 1),
            _ => (Prefix + "all", CountFilters(query)),
        };
        var min = query.From?.ToUnixTimeMilliseconds() ?? double.NegativeInfinity;
        var max = query.To?.ToUnixTimeMilliseconds() ?? double.PositiveInfinity;
        var limit = Math.Clamp(query.Limit, 1, 500);
        var offset = Math.Max(query.Offset, 0);

        if (filters == 0 && search is null)
        {
            var ids = await Database.SortedSetRangeByScoreAsync(set, min, max, Exclude.None, Order.Descending, offset, limit + 1).ConfigureAwait(false);
            var total = await Database.SortedSetLengthAsync(set, min, max).ConfigureAwait(false);
            var tasks = await LoadAsync(ids.Take(limit)).ConfigureAwait(false);
            return new TaskPage(tasks, total, ids.Length > limit, tasks.Count);
        }

        var wanted = offset + limit + 1;
        var (found, scanned) = search is null
            ? await ScanAsync(set, query, wanted).ConfigureAwait(false)
            : await SearchAsync(search, query, wanted).ConfigureAwait(false);
        var matches = await LoadAsync(found.Skip(offset).Take(limit)).ConfigureAwait(false);
        return new TaskPage(matches, null, found.Count > offset + limit, scanned);
    }

    /// <summary>
    /// Filters the index has no set for: newest first in chunks of the driving set, bounded by the search depth, matched
    /// in Redis so that only matching ids come back.
    /// </summary>
    private async Task<(List<RedisValue> Found, int Scanned)> ScanAsync(string set, TaskQuery query, int wanted)
    {
        var found = new List<RedisValue>(wanted);
        var scanned = 0;
        while (found.Count < wanted && scanned < _options.SearchDepth)
        {
            var chunk = Math.Min(ScanChunk, _options.SearchDepth - scanned);
            var reply = (RedisResult[])(await Database.ScriptEvaluateAsync(TaskIndexScripts.Scan, values:
            [
                Prefix, set, Score(query.To, "+inf"), Score(query.From, "-inf"), scanned, chunk,
                query.State ?? string.Empty, query.Name ?? string.Empty, query.Worker ?? string.Empty, query.Queue ?? string.Empty, wanted - found.Count,
            ]).ConfigureAwait(false))!;
            var looked = (int)reply[0];
            scanned += looked;
            found.AddRange(reply.Skip(1).Select(id => (RedisValue)id));
            if (looked < chunk)
            {
                break;
            }
        }

        return (found, scanned);
    }

    /// <summary>
    /// A search by text: the tasks' search text (the <c>text</c> set, one member per task, "id, 0x1F, then id, args and
    /// kwargs in lower case") is read newest first in chunks by rank and matched here, where a vectorized byte search
    /// costs a fraction of what Lua spends per task in Redis (1.5 µs, 155 ms of Redis for 100,000 tasks). Other filters
    /// are checked on the tasks whose text matched.
    /// </summary>
    private async Task<(List<RedisValue> Found, int Scanned)> SearchAsync(string search, TaskQuery query, int wanted)
    {
        var textSet = Prefix + "text";
        var needle = AsciiLower(System.Text.Encoding.UTF8.GetBytes(search));
        // The time range as ranks, newest first: those after its end come before it, those before its start after it.
        var first = query.To is { } to
            ? await Database.SortedSetLengthAsync(textSet, to.ToUnixTimeMilliseconds(), double.PositiveInfinity, Exclude.Start).ConfigureAwait(false)
            : 0;
        var end = query.From is { } from
            ? await Database.SortedSetLengthAsync(textSet, from.ToUnixTimeMilliseconds(), double.PositiveInfinity).ConfigureAwait(false)
            : long.MaxValue;
        end = Math.Min(end, first + _options.SearchDepth);
        var filtered = CountFilters(query) > 0;
        var found = new List<RedisValue>(wanted);
        var scanned = 0;
        while (found.Count < wanted && first + scanned < end)
        {
            var start = first + scanned;
            var stop = Math.Min(start + TextChunk, end) - 1;
            var members = await Database.SortedSetRangeByRankAsync(textSet, start, stop, Order.Descending).ConfigureAwait(false);
            scanned += members.Length;
            var candidates = new List<RedisValue>();
            foreach (var member in members)
            {
                var bytes = ((ReadOnlyMemory<byte>)member).Span;
                var separator = bytes.IndexOf((byte)0x1F);
                if (separator > 0 && bytes[(separator + 1)..].IndexOf(needle) >= 0)
                {
                    candidates.Add(bytes[..separator].ToArray());
                }
            }

            found.AddRange(filtered ? await WhereAsync(candidates, query).ConfigureAwait(false) : candidates);
            if (members.Length < stop - start + 1)
            {
                break;
            }
        }

        return (found, scanned);
    }

    /// <summary>The candidates whose state, name, worker and queue pass the query's filters.</summary>
    private async Task<IEnumerable<RedisValue>> WhereAsync(List<RedisValue> candidates, TaskQuery query)
    {
        var batch = Database.CreateBatch();
        var reads = candidates.Select(id => (id, batch.HashGetAsync(Prefix + "t:" + id, ["state", "name", "worker", "queue"]))).ToList();
        batch.Execute();
        var passed = new List<RedisValue>(candidates.Count);
        foreach (var (id, read) in reads)
        {
            var f = await read.ConfigureAwait(false);
            if ((string.IsNullOrEmpty(query.State) || f[0] == query.State) && (string.IsNullOrEmpty(query.Name) || f[1] == query.Name)
                && (string.IsNullOrEmpty(query.Worker) || f[2] == query.Worker) && (string.IsNullOrEmpty(query.Queue) || f[3] == query.Queue))
            {
                passed.Add(id);
            }
        }

        return passed;
    }

    // As Lua's string.lower, which wrote the search text: ASCII letters only.
    private static byte[] AsciiLower(byte[] bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is >= (byte)'A' and <= (byte)'Z')
            {
                bytes[i] += 'a' - 'A';
            }
        }

        return bytes;
    }

    private static string Score(DateTimeOffset? at, string unbounded) =>
        at?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) ?? unbounded;

    /// <summary>The task names and worker nodes seen, for the filters.</summary>
    public async Task<(IReadOnlyList<string> Names, IReadOnlyList<string> Workers)> GetFacetsAsync()
    {
        var names = await Database.SetMembersAsync(Prefix + "names").ConfigureAwait(false);
        var workers = await Database.SetMembersAsync(Prefix + "nodes").ConfigureAwait(false);
        return ([.. names.Select(n => (string)n!).Order(StringComparer.Ordinal)], [.. workers.Select(n => (string)n!).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Tasks succeeded, failed and retried per minute over the last <paramref name="minutes"/> minutes, oldest first.</summary>
    public async Task<IReadOnlyList<(DateTimeOffset Minute, long Succeeded, long Failed, long Retried)>> GetRatesAsync(int minutes)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000;
        var batch = Database.CreateBatch();
        var reads = Enumerable.Range(0, minutes).Select(i => now - minutes + 1 + i)
            .Select(minute => (minute, batch.HashGetAsync(Prefix + "m:" + minute, [CeleryEventTypes.TaskSucceeded, CeleryEventTypes.TaskFailed, CeleryEventTypes.TaskRetried])))
            .ToList();
        batch.Execute();
        var rates = new List<(DateTimeOffset, long, long, long)>(minutes);
        foreach (var (minute, read) in reads)
        {
            var values = await read.ConfigureAwait(false);
            rates.Add((DateTimeOffset.FromUnixTimeMilliseconds(minute * 60_000), (long?)values[0] ?? 0, (long?)values[1] ?? 0, (long?)values[2] ?? 0));
        }

        return rates;
    }

    /// <summary>Links a task the console re-sent to the one it came from.</summary>
    public async Task LinkRetryAsync(string originalId, string newId)
    {
        var original = Prefix + "t:" + originalId;
        var retried = await Database.HashGetAsync(original, "retried_as").ConfigureAwait(false);
        await Database.HashSetAsync(original, "retried_as", retried.IsNullOrEmpty ? newId : retried + "," + newId).ConfigureAwait(false);
        await Database.HashSetAsync(Prefix + "t:" + newId, "retry_of", originalId).ConfigureAwait(false);
        await Database.KeyExpireAsync(Prefix + "t:" + newId, _options.TimeToLive * 2).ConfigureAwait(false);
    }

    private static int CountFilters(TaskQuery query) =>
        (string.IsNullOrEmpty(query.State) ? 0 : 1) + (string.IsNullOrEmpty(query.Name) ? 0 : 1)
        + (string.IsNullOrEmpty(query.Worker) ? 0 : 1) + (string.IsNullOrEmpty(query.Queue) ? 0 : 1);

    private static readonly RedisValue[] ListFields =
        ["id", "name", "state", "args", "kwargs", "worker", "queue", "runtime", "retries", "first", "state_ts", "root_id", "parent_id", "exception"];

    private async Task<List<TaskRecord>> LoadAsync(IEnumerable<RedisValue> ids)
    {
        var batch = Database.CreateBatch();
        var reads = ids.Select(id => batch.HashGetAsync(Prefix + "t:" + id, ListFields)).ToList();
        batch.Execute();
        var tasks = new List<TaskRecord>(reads.Count);
        foreach (var read in reads)
        {
            var values = await read.ConfigureAwait(false);
            if (values[0].IsNull)
            {
                continue;   // expired between the set read and the hash read
            }

            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < ListFields.Length; i++)
            {
                fields[ListFields[i]!] = values[i];
            }

            tasks.Add(ToRecord((string)values[0]!, fields));
        }

        return tasks;
    }

    private static TaskRecord ToRecord(string id, Dictionary<string, string?> f)
    {
        static DateTimeOffset? Time(string? ms) =>
            double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? DateTimeOffset.FromUnixTimeMilliseconds((long)value) : null;
        string? Get(string name) => f.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;

        var timeline = f.Where(e => e.Key.StartsWith("at:", StringComparison.Ordinal))
            .Select(e => new TaskTimelineEntry(e.Key[3..], Time(e.Value) ?? DateTimeOffset.MinValue))
            // The client's task-sent is stamped after its publish was confirmed, often after the worker received it.
            .OrderBy(e => e.Event == CeleryEventTypes.TaskSent ? 0 : 1).ThenBy(e => e.At).ToList();
        return new TaskRecord
        {
            Id = id,
            Name = Get("name"),
            State = Get("state"),
            Args = Get("args"),
            Kwargs = Get("kwargs"),
            Worker = Get("worker"),
            Queue = Get("queue"),
            Result = Get("result"),
            Exception = Get("exception"),
            Traceback = Get("traceback"),
            Runtime = double.TryParse(Get("runtime"), NumberStyles.Float, CultureInfo.InvariantCulture, out var runtime) ? runtime : null,
            Retries = int.TryParse(Get("retries"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var retries) ? retries : 0,
            ParentId = Get("parent_id"),
            RootId = Get("root_id"),
            Eta = Get("eta"),
            Expires = Get("expires"),
            RetryOf = Get("retry_of"),
            RetriedAs = Get("retried_as"),
            FirstSeen = Time(Get("first")) ?? DateTimeOffset.MinValue,
            LastChange = Time(Get("state_ts")),
            Timeline = timeline,
        };
    }
}
