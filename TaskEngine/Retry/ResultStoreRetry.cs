using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.TaskEngine.Retry;

/// <summary>
/// Keeps storing a finished task's outcome (its SUCCESS or FAILURE, its chord part return, an event's "handled" mark)
/// while Redis is away, within <see cref="TaskEngineOptions.ResultStoreRetryTimeout"/>: a task's outcome is its
/// handler's, so a Redis restart must neither turn a success into a FAILURE nor lose it. When the time is spent the
/// caller leaves the message for redelivery instead of acking it.
/// </summary>
/// <remarks>
/// Callers make the first attempt themselves and come here only when it failed with <see cref="IsTransient"/>, so
/// the policy costs nothing when Redis answers. Backoff: 100 ms doubling up to
/// <see cref="TaskEngineOptions.ResultStoreRetryMaxDelay"/>; each attempt can itself take up to the client's
/// timeout while the connection is down. One warning when the first outcome starts waiting and one line when the
/// last one got through, not one per attempt (a worker with 16 slots would log hundreds a second).
/// </remarks>
internal sealed class ResultStoreRetry(
    IResultBackend backend, IOptions<TaskEngineOptions> options, TimeProvider timeProvider, ILogger<ResultStoreRetry> logger)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);

    private readonly TimeSpan _timeout = options.Value.ResultStoreRetryTimeout;
    private readonly TimeSpan _maxDelay = options.Value.ResultStoreRetryMaxDelay;
    private readonly Lock _gate = new();
    private int _waiting;
    private long _outageStarted;
    private long _attemptsInOutage;

    /// <summary>
    /// Whether <paramref name="exception"/> says the result backend is unreachable or not ready, i.e. the same write
    /// may succeed later (the backend knows its client library's errors).
    /// </summary>
    public bool IsTransient(Exception exception) => backend.IsTransient(exception);

    /// <summary>
    /// Repeats <paramref name="attempt"/> after <paramref name="firstFailure"/> until it succeeds (true) or the policy's
    /// time is spent or <paramref name="cancellationToken"/> fires (false: leave the message for redelivery).
    /// Exceptions that are not <see cref="IsTransient"/> propagate. <paramref name="what"/> (<c>SUCCESS</c>,
    /// <c>FAILURE</c>, <c>chord part return</c>…), <paramref name="name"/> and <paramref name="id"/> (the task's or
    /// event's) are for the logs and the counters.
    /// </summary>
    public async Task<bool> RetryAsync(
        string what, string name, string id, Exception firstFailure, Func<Task> attempt, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        Enter(what, name, id, firstFailure);
        var tags = new TagList { { "task.name", name }, { "outcome", what } };
        TaskEngineDiagnostics.OutcomeStoreRetries.Add(1, tags);
        var attempts = 1;
        var delay = FirstDelay;
        var last = firstFailure;
        var stored = false;
        try
        {
            while (true)
            {
                var remaining = _timeout - timeProvider.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                await Task.Delay(delay < remaining ? delay : remaining, timeProvider, cancellationToken).ConfigureAwait(false);
                delay = delay * 2 < _maxDelay ? delay * 2 : _maxDelay;
                attempts++;
                try
                {
                    await attempt().ConfigureAwait(false);
                    stored = true;
                    TaskEngineLog.OutcomeStoredAfterRetry(logger, what, name, id, attempts, timeProvider.GetElapsedTime(started));
                    return true;
                }
                catch (Exception ex) when (IsTransient(ex))
                {
                    last = ex;
                    TaskEngineDiagnostics.OutcomeStoreRetries.Add(1, tags);
                    Interlocked.Increment(ref _attemptsInOutage);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the message goes back to the broker, as an unfinished task's would.
        }
        finally
        {
            Leave(stored);
        }

        TaskEngineDiagnostics.OutcomeStoreGaveUp.Add(1, tags);
        TaskEngineLog.OutcomeStoreGaveUp(logger, last, what, name, id, attempts, timeProvider.GetElapsedTime(started));
        return false;
    }

    private void Enter(string what, string name, string id, Exception failure)
    {
        bool first;
        lock (_gate)
        {
            first = _waiting++ == 0;
            if (first)
            {
                _outageStarted = timeProvider.GetTimestamp();
                _attemptsInOutage = 0;
            }
        }

        Interlocked.Increment(ref _attemptsInOutage);
        if (first)
        {
            TaskEngineLog.OutcomeStoreWaiting(logger, failure, what, name, id, _timeout);
        }
    }

    private void Leave(bool stored)
    {
        long started;
        long attempts;
        lock (_gate)
        {
            if (--_waiting > 0 || !stored)
            {
                return;
            }

            started = _outageStarted;
            attempts = Interlocked.Read(ref _attemptsInOutage);
        }

        TaskEngineLog.OutcomeStoreRecovered(logger, timeProvider.GetElapsedTime(started), attempts);
    }
}
