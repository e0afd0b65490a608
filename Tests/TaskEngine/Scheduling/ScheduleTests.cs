using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Scheduling;

namespace Onboarding.Tests.TaskEngine.Scheduling;

public sealed class ScheduleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 21, 30, 15, 400, TimeSpan.Zero);

    [Fact]
    public void Every_NextOccurrenceIsNextMultipleOfInterval_WhenBetweenTicks()
    {
        var schedule = Schedule.Every(TimeSpan.FromMinutes(5));

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 35, 0, TimeSpan.Zero), schedule.GetNextOccurrence(Start));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 40, 0, TimeSpan.Zero),
            schedule.GetNextOccurrence(new DateTimeOffset(2026, 11, 27, 21, 35, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Cron_NextOccurrenceIsTwoAm_WhenNightly()
    {
        var schedule = Schedule.Cron("0 2 * * *");

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(Start));
    }

    [Fact]
    public void Cron_UsesSeconds_WhenSixFields()
    {
        var schedule = Schedule.Cron("*/10 * * * * *");

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 30, 20, TimeSpan.Zero), schedule.GetNextOccurrence(Start));
    }

    [Fact]
    public void Cron_EvaluatesInTimeZone_WhenGiven()
    {
        var schedule = Schedule.Cron("0 2 * * *", TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));

        // 02:00 in Berlin (UTC+1 in November) is 01:00 UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 1, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(Start)!.Value.ToUniversalTime());
    }

    [Fact]
    public void GetLatestOccurrence_ReturnsOnlyMostRecentTick_WhenManyWereMissed()
    {
        var interval = Schedule.Every(TimeSpan.FromSeconds(1));
        var lastFired = new DateTimeOffset(2026, 11, 27, 21, 30, 10, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 30, 15, TimeSpan.Zero), interval.GetLatestOccurrence(lastFired, Start));
    }

    [Fact]
    public void GetLatestOccurrence_ReturnsNull_WhenLatestTickWasFired()
    {
        var interval = Schedule.Every(TimeSpan.FromSeconds(1));

        Assert.Null(interval.GetLatestOccurrence(new DateTimeOffset(2026, 11, 27, 21, 30, 15, TimeSpan.Zero), Start));
    }

    [Fact]
    public void Cron_GetLatestOccurrence_ReturnsLastNight_WhenDownForAWeek()
    {
        var nightly = Schedule.Cron("0 2 * * *");
        var lastFired = new DateTimeOffset(2026, 11, 20, 2, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 2, 0, 0, TimeSpan.Zero), nightly.GetLatestOccurrence(lastFired, Start));
        Assert.Null(nightly.GetLatestOccurrence(new DateTimeOffset(2026, 11, 27, 2, 0, 0, TimeSpan.Zero), Start));
    }

    [Fact]
    public void Cron_GetLatestOccurrence_FindsTickAfterLongOutage_WhenEveryMinute()
    {
        var everyMinute = Schedule.Cron("* * * * *");

        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 30, 0, TimeSpan.Zero),
            everyMinute.GetLatestOccurrence(Start.AddDays(-400), Start));
    }

    [Fact]
    public void DueTick_FiresEachTickOnceThenCatchesUpOnce_WhenClockAdvances()
    {
        var time = new FakeTimeProvider(Start);
        var schedule = Schedule.Every(TimeSpan.FromSeconds(1));
        var baseline = time.GetUtcNow();
        DateTimeOffset? lastFired = null;
        var fired = new List<DateTimeOffset>();

        void Poll()
        {
            if (PeriodicTaskScheduler.DueTick(schedule, lastFired, baseline, time.GetUtcNow()) is { } tick)
            {
                fired.Add(tick);
                lastFired = tick;
            }
        }

        Poll(); // At start: nothing before the baseline is due.
        for (var i = 0; i < 12; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(250));
            Poll();
        }

        Assert.Equal(3, fired.Count); // 21:30:16, :17, :18 in three seconds of 250 ms polls.
        Assert.Equal(fired.Distinct().Count(), fired.Count);

        time.Advance(TimeSpan.FromSeconds(10)); // Downtime: ten ticks missed.
        Poll();
        Poll();

        Assert.Equal(4, fired.Count);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 30, 28, TimeSpan.Zero), fired[^1]);
    }

    [Fact]
    public void Settings_BuildDefinition_WhenReadFromConfiguration()
    {
        var settings = new PeriodicTaskSettings { Task = "analytics.tasks.rollup_registrations", Cron = "0 2 * * *", Args = ["42", "daily", """{"a":1}"""] };

        var definition = settings.ToDefinition("nightly-registration-stats");

        Assert.Equal("nightly-registration-stats", definition.Name);
        Assert.Equal(42, definition.Args[0].GetInt32());
        Assert.Equal("daily", definition.Args[1].GetString());
        Assert.Equal(1, definition.Args[2].GetProperty("a").GetInt32());
        Assert.Throws<InvalidOperationException>(() => new PeriodicTaskSettings { Task = "t", Cron = "* * * * *", Interval = TimeSpan.FromSeconds(1) }.ToDefinition("x"));
    }
}
