using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;
using StackExchange.Redis;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The task list's filtered scans, which Redis matches in chunks of a thousand tasks: pages of a filter stay exact
/// across chunk boundaries, argument text and id prefixes are found, and a search stops at the search depth.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TaskIndexScanTests(BrokerFixture fixture) : IAsyncLifetime
{
    private const int Tasks = 2_500;
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly string _prefix = $"test-console-scan-{Guid.NewGuid():N}:";
    private ConnectionMultiplexer? _redis;

    public async ValueTask InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnectionString);
        var index = Create();
        // Task i is first seen at second i; every third is "app.third", queues alternate, one in 500 mentions a coupon.
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(i => index.ApplyAsync(new CeleryEvent
        {
            Type = CeleryEventTypes.TaskReceived,
            Hostname = "celery@scan",
            TaskId = $"task-{i:D5}",
            Timestamp = Start.AddSeconds(i),
            Fields = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["name"] = i % 3 == 0 ? "app.third" : "app.other",
                ["queue"] = i % 2 == 0 ? "even" : "odd",
                ["args"] = $"('customer-{i}',)",
                ["kwargs"] = i % 500 == 1 ? "{'coupon': 'WINTER-Sale'}" : "{}",
            }),
        })));
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await new TaskIndex(_redis, Options.Create(new TaskIndexOptions { KeyPrefix = _prefix, MaxTasks = 1 }), new FakeTimeProvider(Start))
                .TrimAsync(CancellationToken.None);
            await _redis.DisposeAsync();
        }
    }

    private TaskIndex Create(int searchDepth = 20_000) =>
        new(_redis!, Options.Create(new TaskIndexOptions { KeyPrefix = _prefix, MaxTasks = 100_000, SearchDepth = searchDepth }), new FakeTimeProvider(Start.AddHours(1)));

    private static IEnumerable<string> Ids(IEnumerable<int> numbers) => numbers.Select(i => $"task-{i:D5}");

    [Fact]
    public async Task ListAsync_PagesAFilterExactly_AcrossScanChunks()
    {
        // Queue "even" is every second task, newest first: page 13 of 50 needs 651 matches, 1,302 tasks, two chunks.
        var expected = Enumerable.Range(0, Tasks).Reverse().Where(i => i % 2 == 0).ToList();

        var page = await Create().ListAsync(new TaskQuery { Queue = "even", Offset = 600, Limit = 50 });
        var last = await Create().ListAsync(new TaskQuery { Queue = "even", Offset = 1_200, Limit = 50 });
        var named = await Create().ListAsync(new TaskQuery { Name = "app.third", Queue = "even", Offset = 400, Limit = 50 });

        Assert.Equal(Ids(expected.Skip(600).Take(50)), page.Tasks.Select(t => t.Id));
        Assert.True(page.HasMore);
        Assert.Equal(Ids(expected.Skip(1_200)), last.Tasks.Select(t => t.Id));
        Assert.Equal(Ids(expected.Where(i => i % 3 == 0).Skip(400)), named.Tasks.Select(t => t.Id));
        Assert.False(last.HasMore);
    }

    [Fact]
    public async Task ListAsync_FindsArgumentTextAnyCaseAndIdPrefixes_WithinTheTimeRange()
    {
        var coupons = await Create().ListAsync(new TaskQuery { Search = "winter-sALE" });
        var inRange = await Create().ListAsync(new TaskQuery { Search = "winter-sale", From = Start.AddSeconds(600), To = Start.AddSeconds(1600) });
        var prefix = await Create().ListAsync(new TaskQuery { Search = "TASK-0123" });

        Assert.Equal(Ids([2001, 1501, 1001, 501, 1]), coupons.Tasks.Select(t => t.Id));
        Assert.Equal(Ids([1501, 1001]), inRange.Tasks.Select(t => t.Id));
        Assert.Equal(Ids(Enumerable.Range(1230, 10).Reverse()), prefix.Tasks.Select(t => t.Id));
    }

    [Fact]
    public async Task ListAsync_StopsAtTheSearchDepth_AndSaysHowManyItSearched()
    {
        var shallow = await Create(searchDepth: 1_500).ListAsync(new TaskQuery { Search = "winter-sale" });
        var nothing = await Create().ListAsync(new TaskQuery { Search = "no such text" });

        // The newest 1,500 are tasks 1000..2499: the coupons of tasks 1 and 501 lie deeper.
        Assert.Equal(Ids([2001, 1501, 1001]), shallow.Tasks.Select(t => t.Id));
        Assert.Equal(1_500, shallow.Scanned);
        Assert.Null(shallow.Total);
        Assert.Empty(nothing.Tasks);
        Assert.Equal(Tasks, nothing.Scanned);
    }

    [Fact]
    public async Task BackfillSearchTextAsync_MakesTasksOfAnOlderIndexSearchable()
    {
        // As an older console left them: the hash without its search text, no member in the text set.
        var database = _redis!.GetDatabase();
        var member = (string)(await database.HashGetAsync(_prefix + "t:task-00042", "q"))!;
        await database.HashDeleteAsync(_prefix + "t:task-00042", "q");
        await database.SortedSetRemoveAsync(_prefix + "text", member);
        Assert.Empty((await Create().ListAsync(new TaskQuery { Search = "customer-42'" })).Tasks);

        var looked = await Create().BackfillSearchTextAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Tasks, looked);
        Assert.Equal(Ids([42]), (await Create().ListAsync(new TaskQuery { Search = "customer-42'" })).Tasks.Select(t => t.Id));
        Assert.Equal(Tasks, await database.SortedSetLengthAsync(_prefix + "text"));
    }
}
