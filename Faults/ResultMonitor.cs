using System.Diagnostics;
using System.Text.Json;
using StackExchange.Redis;

namespace Onboarding.Faults;

/// <summary>A task's final stored state, read from its <c>celery-task-meta-&lt;id&gt;</c> entry.</summary>
internal sealed record StoredResult(string Status, string? ExceptionType, string? ExceptionMessage, JsonElement Result);

/// <summary>
/// Polls the stored results of a set of task ids (one MGET per 1,000 unfinished ids, every 200 ms), so the suite can
/// tell when the tasks are done, when completions resume after a fault, and what each task ended as. A poll that
/// fails because Redis is away is simply skipped.
/// </summary>
internal sealed class ResultMonitor : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly IDatabase _redis;
    private readonly Dictionary<string, StoredResult> _final = new(StringComparer.Ordinal);
    private readonly List<string> _pending;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private int _succeeded;
    private int _polls;
    private TimeSpan _lastChange;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public ResultMonitor(IDatabase redis, IEnumerable<string> ids)
    {
        _redis = redis;
        _pending = [.. ids];
        Total = _pending.Count;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public int Total { get; }

    public int Succeeded => Volatile.Read(ref _succeeded);

    public int Finished
    {
        get
        {
            lock (_gate)
            {
                return _final.Count;
            }
        }
    }

    public IReadOnlyDictionary<string, StoredResult> Results
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, StoredResult>(_final, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>How long since a result last appeared.</summary>
    public TimeSpan SinceLastChange
    {
        get
        {
            lock (_gate)
            {
                return _clock.Elapsed - _lastChange;
            }
        }
    }

    /// <summary>
    /// Waits for a poll that started after this call, so that <see cref="Succeeded"/> includes everything stored
    /// before it (after an outage, results stored before the fault are read only then).
    /// </summary>
    public async Task WaitForFreshPollAsync(CancellationToken cancellationToken)
    {
        var target = Volatile.Read(ref _polls) + 2;
        var elapsed = Stopwatch.StartNew();
        while (Volatile.Read(ref _polls) < target && elapsed.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until a task succeeds after <paramref name="mark"/> (a <see cref="Succeeded"/> count taken when a fault
    /// ended) and returns how long that took: the suite's "time to recover". Zero when every task had finished
    /// already; null when nothing succeeded within the timeout.
    /// </summary>
    public async Task<TimeSpan?> WaitForSuccessAfterAsync(int mark, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (Succeeded <= mark)
        {
            if (Finished == Total)
            {
                return TimeSpan.Zero;
            }

            if (elapsed.Elapsed > timeout)
            {
                return null;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        return elapsed.Elapsed;
    }

    /// <summary>
    /// Waits until every task has a final result, or until none has appeared for <paramref name="stall"/>, or
    /// <paramref name="cap"/> has passed: what is still missing then counts as lost.
    /// </summary>
    public async Task WaitUntilSettledAsync(TimeSpan stall, TimeSpan cap, Func<int> accountedElsewhere, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (Finished + accountedElsewhere() < Total && SinceLastChange < stall && elapsed.Elapsed < cap)
        {
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                await PollAsync().ConfigureAwait(false);
                Interlocked.Increment(ref _polls);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis is down: that is what some scenarios do; try again next tick.
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    private async Task PollAsync()
    {
        string[] pending;
        lock (_gate)
        {
            pending = [.. _pending];
        }

        var done = new List<(string Id, StoredResult Result)>();
        foreach (var chunk in pending.Chunk(1000))
        {
            var values = await _redis.StringGetAsync([.. chunk.Select(id => (RedisKey)("celery-task-meta-" + id))]).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                if (values[i].HasValue && Parse(values[i]!) is { } result)
                {
                    done.Add((chunk[i], result));
                }
            }
        }

        if (done.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var (id, result) in done)
            {
                _final[id] = result;
                if (result.Status == "SUCCESS")
                {
                    _succeeded++;
                }
            }

            var finished = done.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            _pending.RemoveAll(finished.Contains);
            _lastChange = _clock.Elapsed;
        }
    }

    /// <summary>The final states only: PENDING, STARTED and RETRY are not an outcome yet.</summary>
    private static StoredResult? Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var status = root.GetProperty("status").GetString() ?? string.Empty;
        if (status is not ("SUCCESS" or "FAILURE" or "REVOKED"))
        {
            return null;
        }

        var result = root.TryGetProperty("result", out var value) ? value.Clone() : default;
        string? type = null, message = null;
        if (status != "SUCCESS" && result.ValueKind == JsonValueKind.Object)
        {
            type = result.TryGetProperty("exc_type", out var t) ? t.GetString() : null;
            message = result.TryGetProperty("exc_message", out var m) ? m.ToString() : null;
        }

        return new StoredResult(status, type, message, result);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
