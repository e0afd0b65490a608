namespace Onboarding.TaskEngine.Retry;

/// <summary>
/// Celery's <c>get_exponential_backoff_interval</c>: <c>min(max, factor·2^retries)</c>, and with full jitter a
/// uniform value in <c>[0, that]</c>.
/// </summary>
public static class ExponentialBackoff
{
    public static TimeSpan Compute(TimeSpan factor, int retries, TimeSpan max, bool fullJitter, double random01)
    {
        var exponent = Math.Clamp(retries, 0, 62);
        var countdown = factor.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(max.TotalMilliseconds, countdown);
        if (fullJitter)
        {
            capped *= Math.Clamp(random01, 0, 1);
        }

        return TimeSpan.FromMilliseconds(Math.Max(0, capped));
    }
}
