using Cronos;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>
/// When a periodic task is due (celery's <c>schedule</c>/<c>crontab</c>). Ticks are absolute instants that every
/// replica computes alike, so a tick can be fired once across replicas by remembering the last fired one.
/// </summary>
public abstract class Schedule
{
    /// <summary>Every <paramref name="interval"/>, on multiples of it since the Unix epoch (1 h ticks fall on the hour).</summary>
    public static Schedule Every(TimeSpan interval) => new IntervalSchedule(interval);

    /// <summary>A five-field cron expression (or six with seconds), evaluated in <paramref name="timeZone"/> (UTC by default).</summary>
    public static Schedule Cron(string expression, TimeZoneInfo? timeZone = null) => new CronSchedule(expression, timeZone ?? TimeZoneInfo.Utc);

    /// <summary>The first tick strictly after <paramref name="after"/>, or null when there is none.</summary>
    public abstract DateTimeOffset? GetNextOccurrence(DateTimeOffset after);

    /// <summary>
    /// The most recent tick in (<paramref name="after"/>, <paramref name="now"/>]: the one tick to fire now, however
    /// many were missed (catch-up runs the latest due tick once, not each missed one). Null when none is due.
    /// </summary>
    public abstract DateTimeOffset? GetLatestOccurrence(DateTimeOffset after, DateTimeOffset now);
}

internal sealed class IntervalSchedule : Schedule
{
    private readonly long _intervalTicks;

    public IntervalSchedule(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromMilliseconds(100));
        Interval = interval;
        _intervalTicks = interval.Ticks;
    }

    public TimeSpan Interval { get; }

    public override DateTimeOffset? GetNextOccurrence(DateTimeOffset after)
    {
        var sinceEpoch = (after - DateTimeOffset.UnixEpoch).Ticks;
        var next = (FloorDiv(sinceEpoch, _intervalTicks) + 1) * _intervalTicks;
        return DateTimeOffset.UnixEpoch.AddTicks(next);
    }

    public override DateTimeOffset? GetLatestOccurrence(DateTimeOffset after, DateTimeOffset now)
    {
        var latest = DateTimeOffset.UnixEpoch.AddTicks(FloorDiv((now - DateTimeOffset.UnixEpoch).Ticks, _intervalTicks) * _intervalTicks);
        return latest > after ? latest : null;
    }

    public override string ToString() => $"every {Interval}";

    private static long FloorDiv(long value, long divisor) => value >= 0 ? value / divisor : ((value + 1) / divisor) - 1;
}

internal sealed class CronSchedule : Schedule
{
    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _timeZone;
    private readonly string _text;

    public CronSchedule(string expression, TimeZoneInfo timeZone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        _text = expression.Trim();
        var fields = _text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        _expression = CronExpression.Parse(_text, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        _timeZone = timeZone;
    }

    public override DateTimeOffset? GetNextOccurrence(DateTimeOffset after) =>
        _expression.GetNextOccurrence(after, _timeZone, inclusive: false);

    public override DateTimeOffset? GetLatestOccurrence(DateTimeOffset after, DateTimeOffset now)
    {
        // Cronos walks forward only. Jump close to now first when the gap is long (a long outage), then walk:
        // only the latest tick matters, so earlier ones are never enumerated.
        var from = after;
        var window = TimeSpan.FromDays(1);
        while (now - from > window)
        {
            var probeStart = now - window;
            if (_expression.GetNextOccurrence(probeStart, _timeZone, inclusive: false) is { } probe && probe <= now)
            {
                from = probeStart > after ? probeStart : after;
                break;
            }

            window *= 2;
            if (now - window <= after)
            {
                break;
            }
        }

        DateTimeOffset? latest = null;
        for (var next = _expression.GetNextOccurrence(from, _timeZone, inclusive: false);
             next is { } tick && tick <= now;
             next = _expression.GetNextOccurrence(tick, _timeZone, inclusive: false))
        {
            latest = tick;
        }

        return latest;
    }

    public override string ToString() => _text;
}
