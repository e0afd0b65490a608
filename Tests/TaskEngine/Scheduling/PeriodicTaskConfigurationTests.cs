using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Scheduling;

namespace Onboarding.Tests.TaskEngine.Scheduling;

public sealed class PeriodicTaskConfigurationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 21, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Schedules_BindFromTaskEngineSection_WhenConfigured()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TaskEngine:Schedules:nightly-registration-stats:Task"] = "analytics.tasks.rollup_registrations",
            ["TaskEngine:Schedules:nightly-registration-stats:Cron"] = "0 2 * * *",
            ["TaskEngine:Schedules:nightly-registration-stats:Args:0"] = "7",
            ["TaskEngine:Schedules:cleanup:Task"] = "maintenance.cleanup",
            ["TaskEngine:Schedules:cleanup:Interval"] = "00:05:00",
            ["TaskEngine:Schedules:cleanup:Queue"] = "maintenance",
            ["TaskEngine:Beat:LeaseDuration"] = "00:00:30",
        }).Build();
        using var provider = new ServiceCollection()
            .Configure<PeriodicTaskSchedulerOptions>(configuration.GetSection("TaskEngine"))
            .BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PeriodicTaskSchedulerOptions>>().Value;
        var nightly = options.Schedules["nightly-registration-stats"].ToDefinition("nightly-registration-stats");
        var cleanup = options.Schedules["cleanup"].ToDefinition("cleanup");

        Assert.Equal("analytics.tasks.rollup_registrations", nightly.TaskName);
        Assert.Equal(7, Assert.Single(nightly.Args).GetInt32());
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero), nightly.Schedule.GetNextOccurrence(Now));
        Assert.Equal("maintenance", cleanup.Queue);
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 21, 5, 0, TimeSpan.Zero), cleanup.Schedule.GetNextOccurrence(Now));
        Assert.Equal(TimeSpan.FromSeconds(30), options.Beat.LeaseDuration);
    }
}
