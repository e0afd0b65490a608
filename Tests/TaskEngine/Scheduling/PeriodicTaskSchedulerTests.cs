using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Scheduling;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Scheduling;

/// <summary>The ticks the worker ran, by the <c>beat_tick</c> header the scheduler adds.</summary>
internal sealed class TickLedger
{
    public ConcurrentQueue<string> Ticks { get; } = new();

    /// <summary>Released once per run.</summary>
    public SemaphoreSlim Runs { get; } = new(0);

    /// <summary>Waits until at least <paramref name="count"/> ticks ran.</summary>
    public async Task WaitForAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (Ticks.Count < count)
        {
            await Runs.WaitAsync(deadline.Token);
        }
    }
}

internal sealed class RecordTickHandler(TickLedger ledger) : ITaskHandler<NoArgs>
{
    public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        ledger.Ticks.Enqueue(TaskEnvelope.AsString(context.Message.ExtraHeaders.GetValueOrDefault(PeriodicTaskScheduler.TickHeader)) ?? "?");
        ledger.Runs.Release();
        return ValueTask.FromResult<object?>(null);
    }
}

[Collection(BrokerCollection.Name)]
public sealed class PeriodicTaskSchedulerTests(BrokerFixture fixture)
{
    private const string TaskName = "tests.beat.tick";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly string _prefix = "test-beat-" + Guid.CreateVersion7().ToString("N")[^10..];
    private readonly TickLedger _ledger = new();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Schedulers_FireEachTickOnce_WhenTwoReplicasShareRedis()
    {
        await using var worker = await StartWorkerAsync();
        await using var first = await StartSchedulerAsync(worker.Queue);
        await using var second = await StartSchedulerAsync(worker.Queue);

        await _ledger.WaitForAsync(4, Wait, Token);
        Assert.Single(new[] { first, second }, host => host.Services.GetRequiredService<PeriodicTaskScheduler>().IsLeader);
        await first.StopAsync();
        await second.StopAsync();
        await DrainAsync(worker);

        AssertEachTickOnce(minimum: 4);
    }

    [Fact]
    public async Task Schedulers_DoNotDoubleFire_WhenLeaderStopsAndStandbyTakesOver()
    {
        await using var worker = await StartWorkerAsync();
        await using var first = await StartSchedulerAsync(worker.Queue);
        await using var second = await StartSchedulerAsync(worker.Queue);

        await _ledger.WaitForAsync(2, Wait, Token);
        var (leader, standby) = first.Services.GetRequiredService<PeriodicTaskScheduler>().IsLeader ? (first, second) : (second, first);
        await leader.StopAsync();
        await _ledger.WaitForAsync(_ledger.Ticks.Count + 2, Wait, Token);
        Assert.True(standby.Services.GetRequiredService<PeriodicTaskScheduler>().IsLeader);
        await standby.StopAsync();
        await DrainAsync(worker);

        AssertEachTickOnce(minimum: 4);
    }

    [Fact]
    public async Task Scheduler_RecordsNoRedisActivity_WhileNothingIsDue()
    {
        // This host's Redis commands go to their own database, so the activities of other tests' hosts are told apart
        // by the database index the instrumentation tags them with.
        const int Database = 11;
        var recorded = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal),
            // No opinion: whether an activity is recorded stays the host's tracer's decision, as in production.
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.Recorded && Equals(activity.GetTagItem("db.redis.database_index"), Database))
                {
                    recorded.Enqueue(activity.DisplayName);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var host = await StartSchedulerAsync("unused", Schedule.Every(TimeSpan.FromDays(1)), $"{fixture.RedisConnectionString},defaultDatabase={Database}");
        var scheduler = host.Services.GetRequiredService<PeriodicTaskScheduler>();
        // Lease taken, renewed (every third of its 5 s), and many idle polls.
        await Eventually.UntilAsync(() => scheduler.IsLeader && scheduler.Polls >= 25, Wait, Token);
        // The control: a command outside any activity is recorded, so the instrumentation is on and would have seen the polls.
        Assert.Null(Activity.Current);
        await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StringLengthAsync(_prefix + "-control");
        // Stopping releases the lease (still unrecorded) and disposing flushes what the instrumentation holds.
        await host.StopAsync();
        await host.DisposeAsync();

        Assert.Equal(["STRLEN"], recorded);
    }

    /// <summary>
    /// Every run had its own tick, each a whole second. (Gaps are allowed: under load a poll may come more than a
    /// second late, and then only the latest due tick fires, by design.)
    /// </summary>
    private void AssertEachTickOnce(int minimum)
    {
        var ticks = _ledger.Ticks.Select(t => DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(ticks.Count >= minimum, $"{ticks.Count} ticks");
        Assert.Equal(ticks.Count, ticks.Distinct().Count());
        Assert.All(ticks, tick => Assert.Equal(0, tick.ToUnixTimeMilliseconds() % 1000));
    }

    [Fact]
    public async Task Scheduler_FiresMissedTicksOnce_WhenTakingOverAfterPause()
    {
        // 0.2 s past a whole second: the nudges below (0.1 s) never cross into the next tick, whenever the new
        // scheduler's first poll comes (from a random fraction, a late first poll could see one more tick due).
        var now = DateTimeOffset.UtcNow;
        var time = new FakeTimeProvider(now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)).AddMilliseconds(200));
        await using var worker = await StartWorkerAsync();
        await using (var before = await StartSchedulerAsync(worker.Queue, time))
        {
            for (var expected = 1; expected <= 2; expected++)
            {
                await AdvanceUntilAsync(time, expected);
            }

            await before.StopAsync();
        }

        time.Advance(TimeSpan.FromSeconds(10)); // Ten ticks pass with no scheduler.
        await using var after = await StartSchedulerAsync(worker.Queue, time);
        await AdvanceUntilAsync(time, 3, step: TimeSpan.FromMilliseconds(100));
        await AdvanceUntilAsync(time, 4);
        await after.StopAsync();
        await DrainAsync(worker);

        var ticks = _ledger.Ticks.Select(t => DateTimeOffset.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(4, ticks.Count);
        Assert.Equal(TimeSpan.FromSeconds(1), ticks[1] - ticks[0]);
        Assert.Equal(TimeSpan.FromSeconds(10), ticks[2] - ticks[1]); // one catch-up: the latest missed tick only
        Assert.Equal(TimeSpan.FromSeconds(1), ticks[3] - ticks[2]);
    }

    // A task that never fired starts counting at the scheduler's start: an hourly task started at 10:30 first runs at
    // 11:00, not at once for the 10:00 tick it never saw (a nightly job would otherwise run at every first deploy).
    [Fact]
    public async Task Scheduler_FiresTheFirstTickAfterItsStart_WhenATaskHasNeverFired()
    {
        var start = new DateTimeOffset(2026, 12, 5, 10, 30, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(start);
        await using var worker = await StartWorkerAsync();
        await using var scheduler = await StartSchedulerAsync(worker.Queue, Schedule.Every(TimeSpan.FromHours(1)), redisConfiguration: null, time);
        // Let it poll once at 10:30 (it takes the lease on its first poll), then move past 11:00.
        time.Advance(TimeSpan.FromMilliseconds(100));
        await Eventually.UntilAsync(async () => await worker.Redis.KeyExistsAsync(_prefix + "-lease"), Wait, Token);
        time.Advance(TimeSpan.FromMinutes(30));
        await _ledger.WaitForAsync(1, Wait, Token);
        await scheduler.StopAsync();
        await DrainAsync(worker);

        var tick = Assert.Single(_ledger.Ticks);
        Assert.Equal(start.AddMinutes(30), DateTimeOffset.Parse(tick, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Moves the fake clock one step, then waits (real time) until the worker has run <paramref name="count"/> ticks.</summary>
    private async Task AdvanceUntilAsync(FakeTimeProvider time, int count, TimeSpan? step = null)
    {
        time.Advance(step ?? TimeSpan.FromSeconds(1));
        await _ledger.WaitForAsync(count, Wait, Token);
        Assert.Equal(count, _ledger.Ticks.Count);
    }

    /// <summary>Waits until everything the schedulers sent has run: a ping sent after them runs after them (concurrency 1).</summary>
    private static async Task DrainAsync(EngineTestHost worker)
    {
        var ping = await worker.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
        await ping.GetAsync(Wait, Token);
    }

    private Task<EngineTestHost> StartWorkerAsync() =>
        EngineTestHost.StartAsync(fixture, concurrency: 1,
            tasks: engine => engine.AddTask<NoArgs, RecordTickHandler>(TaskName),
            services: services => services.AddSingleton(_ledger));

    private Task<EngineTestHost> StartSchedulerAsync(string queue, TimeProvider? time = null) =>
        StartSchedulerAsync(queue, Schedule.Every(TimeSpan.FromSeconds(1)), redisConfiguration: null, time);

    private async Task<EngineTestHost> StartSchedulerAsync(string queue, Schedule schedule, string? redisConfiguration, TimeProvider? time = null)
    {
        // The worker's dead-letter queue: on quorum queues (ONBOARDING_TEST_QUEUE_TYPE) it is part of the queue's arguments.
        var host = await EngineTestHost.StartAsync(fixture, worker: false, redisConnectionString: redisConfiguration,
            engineOptions: o => o.DeadLetterQueue = queue + ".dead",
            tasks: engine => engine.AddPeriodicTask(new PeriodicTaskDefinition
            {
                Name = "tick",
                TaskName = TaskName,
                Schedule = schedule,
                Queue = queue,
            }),
            services: services =>
            {
                services.Configure<TaskWorkerOptions>(o => o.Beat = true);
                services.Configure<PeriodicTaskSchedulerOptions>(o =>
                {
                    o.Beat.KeyPrefix = _prefix;
                    o.Beat.PollInterval = TimeSpan.FromMilliseconds(100);
                    o.Beat.LeaseDuration = TimeSpan.FromSeconds(5);
                });
                if (time is not null)
                {
                    services.AddSingleton(time);
                }
            });
        await host.Services.GetRequiredService<PeriodicTaskScheduler>().Started.WaitAsync(Wait, Token);
        return host;
    }
}
