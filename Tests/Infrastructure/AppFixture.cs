using Aspire.Hosting;

namespace Onboarding.Tests.Infrastructure;

/// <summary>The whole application, started once per test collection: starting it costs 10–20 s on 2 cores.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The application has not started.");

    public async ValueTask InitializeAsync() =>
        _app = await TestAppHost.StartAsync(TestAppHost.Arguments(infrastructureOnly: false, [.. ScheduleOverrides]), CancellationToken.None);

    /// <summary>The rolled-up interval the periodic-task test counts firings of.</summary>
    public static readonly TimeSpan RollupInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Overrides the nightly roll-up with a short interval (the AppHost passes TaskEngine:Schedules to every worker,
    /// all three of which run --beat), so a test sees several ticks.
    /// </summary>
    private static IEnumerable<string> ScheduleOverrides =>
    [
        "--TaskEngine:Schedules:registration-stats-rollup:Task=user_service.tasks.rollup_registration_stats",
        $"--TaskEngine:Schedules:registration-stats-rollup:Interval={RollupInterval:c}",
    ];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await TestAppHost.StopAsync(_app);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "Whole application";
}
