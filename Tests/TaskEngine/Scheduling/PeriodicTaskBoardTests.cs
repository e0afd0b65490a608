using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Redis;
using Onboarding.TaskEngine.Scheduling;
using Onboarding.Tests.Infrastructure;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Scheduling;

/// <summary>The record of periodic tasks the schedulers keep in Redis for operators, on the real Redis.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PeriodicTaskBoardTests(BrokerFixture fixture) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 10, 0, 30, TimeSpan.Zero);
    private readonly BeatSettings _beat = new() { KeyPrefix = "test-board-" + Guid.CreateVersion7().ToString("N")[^10..] };
    private readonly FakeTimeProvider _time = new(Start);
    private ConnectionMultiplexer? _redis;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    [Fact]
    public async Task ReadAsync_ListsTheDeclaredEntriesWithTheirNextRun_WhenNoneFiredYet()
    {
        var board = new RedisPeriodicTaskBoard(_redis!, _beat, _time);

        await board.DeclareAsync([Nightly, EveryMinute], "celery@beat-a", Token);
        var state = await board.ReadAsync(Token);

        Assert.Null(state.LeaseHolder);
        Assert.Equal(["every-minute", "nightly"], state.Entries.Select(e => e.Name));
        var nightly = state.Entries[1];
        Assert.Equal("reports.nightly", nightly.TaskName);
        Assert.Equal("0 2 * * *", nightly.Schedule);
        Assert.Equal("[42,\"eu\"]", JsonSerializer.Serialize(nightly.Args));
        Assert.Equal("reports", nightly.Queue);
        Assert.Equal(TimeSpan.FromHours(1), nightly.ExpiresIn);
        Assert.Null(nightly.LastRun);
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 2, 0, 0, TimeSpan.Zero), nightly.NextRun);
        Assert.Equal("celery@beat-a", nightly.DeclaredBy);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 10, 1, 0, TimeSpan.Zero), state.Entries[0].NextRun);
        Assert.Equal("every 00:01:00", state.Entries[0].Schedule);
    }

    [Fact]
    public async Task ReadAsync_ShowsTheLastFiredTickTheMovedNextRunAndTheLeaseHoldersNode_WhenASchedulerFired()
    {
        var board = new RedisPeriodicTaskBoard(_redis!, _beat, _time);
        await board.DeclareAsync([EveryMinute], "celery@beat-a", Token);
        var tick = new DateTimeOffset(2026, 12, 4, 10, 1, 0, TimeSpan.Zero);
        var database = _redis!.GetDatabase();
        // What the scheduler stores itself: the lease with its owner token, and the entry's last fired tick.
        await database.StringSetAsync(_beat.KeyPrefix + "-lease", "worker-2@host|host:4242:abc", TimeSpan.FromSeconds(15));
        await database.StringSetAsync(_beat.KeyPrefix + "-every-minute", tick.ToUnixTimeMilliseconds());
        _time.SetUtcNow(tick + TimeSpan.FromMilliseconds(300));

        await board.RecordFiredAsync(EveryMinute, tick, "worker-2@host");
        var state = await board.ReadAsync(Token);

        Assert.Equal("worker-2@host", state.LeaseHolder);
        Assert.Equal("worker-2@host|host:4242:abc", state.LeaseOwner);
        Assert.NotNull(state.LeaseExpiresIn);
        var entry = Assert.Single(state.Entries);
        Assert.Equal(tick, entry.LastRun);
        Assert.Equal(tick + TimeSpan.FromMinutes(1), entry.NextRun);
        Assert.Equal("worker-2@host", entry.DeclaredBy);
    }

    [Fact]
    public async Task ReadAsync_PairsTheLastRunWithTheNextRunRecordedWithIt_WhileAFireIsNotRecordedYet()
    {
        var board = new RedisPeriodicTaskBoard(_redis!, _beat, _time);
        var earlier = new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero);
        var database = _redis!.GetDatabase();
        await database.StringSetAsync(_beat.KeyPrefix + "-every-minute", earlier.ToUnixTimeMilliseconds());
        await board.DeclareAsync([EveryMinute], "celery@beat-a", Token);

        // The scheduler claims the 10:01 tick (its key) a moment before it records the fire on the board.
        var tick = new DateTimeOffset(2026, 12, 4, 10, 1, 0, TimeSpan.Zero);
        await database.StringSetAsync(_beat.KeyPrefix + "-every-minute", tick.ToUnixTimeMilliseconds());
        var between = Assert.Single((await board.ReadAsync(Token)).Entries);

        Assert.Equal((earlier, tick), (between.LastRun, between.NextRun));
    }

    [Fact]
    public async Task ReadAsync_LeavesOutAnEntryItCannotRead_InsteadOfFailing()
    {
        var board = new RedisPeriodicTaskBoard(_redis!, _beat, _time);
        await board.DeclareAsync([EveryMinute], "celery@beat-a", Token);
        await _redis!.GetDatabase().HashSetAsync(_beat.KeyPrefix + "-entries", "broken", "{not json");

        var state = await board.ReadAsync(Token);

        Assert.Equal("every-minute", Assert.Single(state.Entries).Name);
    }

    private static PeriodicTaskDefinition Nightly => new()
    {
        Name = "nightly",
        TaskName = "reports.nightly",
        Schedule = Schedule.Cron("0 2 * * *"),
        Args = [JsonSerializer.SerializeToElement(42), JsonSerializer.SerializeToElement("eu")],
        Queue = "reports",
        ExpiresIn = TimeSpan.FromHours(1),
    };

    private static PeriodicTaskDefinition EveryMinute => new()
    {
        Name = "every-minute",
        TaskName = "reports.tick",
        Schedule = Schedule.Every(TimeSpan.FromMinutes(1)),
    };
}
