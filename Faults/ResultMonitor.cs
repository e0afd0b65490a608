using System.Diagnostics;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using StackExchange.Redis;

namespace Onboarding.Faults;

/// <summary>A task's final stored state, read from its <c>celery-task-meta-&lt;id&gt;</c> entry.</summary>
internal sealed record StoredResult(string Status, string? ExceptionType, JsonElement Result, DateTimeOffset? DateDone);

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
    /// The suite's "time to recover": waits until a task has finished (its stored <c>date_done</c>, set by the worker
    /// when the handler returned) after <paramref name="since"/>, a fault's end, and returns how long after it the
    /// first did. Null when none did within the timeout, or every task had finished before.
    /// </summary>
    public async Task<TimeSpan?> WaitForCompletionAfterAsync(DateTimeOffset since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (FirstDoneAfter(since) is null)
        {
            if (Finished == Total || elapsed.Elapsed > timeout)
            {
                return null;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        // A result finished earlier may be read a poll later.
        await WaitForFreshPollAsync(cancellationToken).ConfigureAwait(false);
        return FirstDoneAfter(since) - since;
    }

    /// <summary>
    /// Waits until <paramref name="count"/> tasks have finished after <paramref name="since"/> and returns when the last
    /// of them did, relative to it; null when that does not happen within <paramref name="timeout"/>. With a count above
    /// what the workers held at <paramref name="since"/> (their prefetch), it says when tasks delivered later finish.
    /// </summary>
    public async Task<TimeSpan?> WaitForCompletionsAfterAsync(DateTimeOffset since, int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (DoneAfter(since, count) is null)
        {
            if (Finished == Total || elapsed.Elapsed > timeout)
            {
                return null;
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        await WaitForFreshPollAsync(cancellationToken).ConfigureAwait(false);
        return DoneAfter(since, count) - since;
    }

    private DateTimeOffset? DoneAfter(DateTimeOffset since, int count)
    {
        lock (_gate)
        {
            var done = _final.Values.Select(r => r.DateDone).Where(d => d > since).Order().Take(count).ToList();
            return done.Count == count ? done[^1] : null;
        }
    }

    private DateTimeOffset? FirstDoneAfter(DateTimeOffset since)
    {
        lock (_gate)
        {
            return _final.Values.Select(r => r.DateDone).Where(d => d > since).Min();
        }
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
                if (values[i].HasValue && Parse((byte[])values[i]!) is { } result)
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
    private static StoredResult? Parse(byte[] json)
    {
        var meta = ResultMeta.Parse(json);
        return meta.State is TaskState.Success or TaskState.Failure or TaskState.Revoked
            ? new StoredResult(meta.State.ToWireName(), meta.Exception?.Type, meta.Result, meta.DateDone)
            : null;
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
