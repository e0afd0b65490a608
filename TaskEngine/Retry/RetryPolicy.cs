using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.Retry;

/// <summary>What becomes of a failed run.</summary>
internal enum RetryVerdict
{
    /// <summary>Run it again after <see cref="RetryDecision.Delay"/>.</summary>
    Retry,

    /// <summary>It asked for a retry but has had all of them: a final failure that is also dead-lettered.</summary>
    Exhausted,

    /// <summary>Not retryable: a final failure.</summary>
    Fail,
}

/// <param name="Verdict">Retry, exhausted or fail.</param>
/// <param name="Delay">For <see cref="RetryVerdict.Retry"/>: how long until the next run.</param>
/// <param name="Cause">The exception to report: the reason inside a <see cref="TaskRetryException"/>, else the failure itself.</param>
internal readonly record struct RetryDecision(RetryVerdict Verdict, TimeSpan Delay, Exception Cause);

/// <summary>
/// The engine's one retry policy, for tasks and for event handlers. A failure is retried when it asks for it
/// (<see cref="TaskRetryException"/>, Celery's <c>self.retry()</c>, with its own countdown if given) or when its type
/// is one of <see cref="RetryOn"/> (Celery's <c>autoretry_for</c>), as long as fewer than <see cref="MaxRetries"/>
/// retries have run; the delay is <see cref="ExponentialBackoff"/> (<c>retry_backoff</c>, <c>retry_backoff_max</c>,
/// <c>retry_jitter</c>). Pure: the caller passes the random draw, so tests need neither a broker nor a clock.
/// </summary>
/// <param name="MaxRetries">Retries after the first run.</param>
/// <param name="Backoff">The backoff factor: the first retry waits up to this long, each next one twice as long.</param>
/// <param name="BackoffMax">The cap on one delay.</param>
/// <param name="Jitter">Full jitter: a delay is uniform between zero and the backoff, so failures that came together spread out.</param>
/// <param name="RetryOn">Exception types retried without asking (a subtype matches too).</param>
internal sealed record RetryPolicy(int MaxRetries, TimeSpan Backoff, TimeSpan BackoffMax, bool Jitter, IReadOnlyList<Type> RetryOn)
{
    /// <summary>Every exception is retryable (event handlers: a handler failure is retried until the retries run out).</summary>
    public static readonly IReadOnlyList<Type> AnyException = [typeof(Exception)];

    /// <summary>Decides about a run that failed with <paramref name="exception"/> after <paramref name="retries"/> retries.</summary>
    /// <param name="exception">What the run threw.</param>
    /// <param name="retries">Retries already run (0 for the first run).</param>
    /// <param name="random01">A uniform draw in [0, 1] for the jitter.</param>
    public RetryDecision Decide(Exception exception, int retries, double random01)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var asked = exception as TaskRetryException;
        var cause = asked?.InnerException ?? exception;
        if (asked is null && !Matches(exception))
        {
            return new RetryDecision(RetryVerdict.Fail, TimeSpan.Zero, cause);
        }

        if (retries >= MaxRetries)
        {
            return new RetryDecision(RetryVerdict.Exhausted, TimeSpan.Zero, cause);
        }

        var delay = asked?.Countdown ?? ExponentialBackoff.Compute(Backoff, retries, BackoffMax, Jitter, random01);
        return new RetryDecision(RetryVerdict.Retry, delay, cause);
    }

    private bool Matches(Exception exception)
    {
        foreach (var type in RetryOn)
        {
            if (type.IsInstanceOfType(exception))
            {
                return true;
            }
        }

        return false;
    }
}
