using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;
using StackExchange.Redis;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>The console's task index against a real Redis: state moves, filters, search, and the bound.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TaskIndexTests(BrokerFixture fixture) : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start.AddMinutes(5));
    private ConnectionMultiplexer? _redis;

    public async ValueTask InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private TaskIndex Create(string prefix, int maxTasks = 100) =>
        new(_redis!, Options.Create(new TaskIndexOptions { KeyPrefix = prefix, MaxTasks = maxTasks }), _time);

    private static CeleryEvent Event(string type, string id, int second, string host = "celery@a", object? fields = null)
    {
        var body = new Dictionary<string, object?>(StringComparer.Ordinal) { ["type"] = type, ["uuid"] = id };
        foreach (var property in fields?.GetType().GetProperties() ?? [])
        {
            body[property.Name] = property.GetValue(fields);
        }

        return new CeleryEvent
        {
            Type = type,
            Hostname = host,
            TaskId = id,
            Timestamp = Start.AddSeconds(second),
            Fields = JsonSerializer.SerializeToElement(body),
        };
    }

    [Fact]
    public async Task ApplyAsync_KeepsTheLatestStateAndTheTimeline_WhenEventsArriveOutOfOrder()
    {
        var index = Create($"test-console-{Guid.NewGuid():N}:");

        await index.ApplyAsync(Event(CeleryEventTypes.TaskReceived, "t1", 1, fields: new { name = "app.add", args = "(1, 2)", kwargs = "{}", root_id = "t1" }));
        await index.ApplyAsync(Event(CeleryEventTypes.TaskSucceeded, "t1", 3, fields: new { result = "3", runtime = 0.25 }));
        await index.ApplyAsync(Event(CeleryEventTypes.TaskStarted, "t1", 2));
        // The client's task-sent, stamped after its publish was confirmed, comes last.
        await index.ApplyAsync(Event(CeleryEventTypes.TaskSent, "t1", 4, host: "client@b", fields: new { queue = "q1" }));
        await index.ApplyAsync(Event(CeleryEventTypes.TaskReceived, "t2", 4, fields: new { name = "app.add", args = "(5, 6)", parent_id = "t1", root_id = "t1" }));

        var task = await index.GetAsync("t1");
        Assert.NotNull(task);
        Assert.Equal(TaskStates.Success, task.State);
        Assert.Equal("3", task.Result);
        Assert.Equal(0.25, task.Runtime);
        Assert.Equal("celery@a", task.Worker);
        Assert.Equal("q1", task.Queue);
        Assert.Equal(["task-sent", "task-received", "task-started", "task-succeeded"], task.Timeline.Select(e => e.Event));
        Assert.Equal(["t2"], task.Children);
        Assert.Equal(["t1"], (await index.ListAsync(new TaskQuery { State = TaskStates.Success })).Tasks.Select(t => t.Id));
        Assert.Equal(["t2"], (await index.ListAsync(new TaskQuery { State = TaskStates.Received })).Tasks.Select(t => t.Id));
        Assert.Empty((await index.ListAsync(new TaskQuery { State = TaskStates.Started })).Tasks);
    }

    [Fact]
    public async Task ListAsync_FiltersSearchesAndPages_NewestFirst()
    {
        var index = Create($"test-console-{Guid.NewGuid():N}:");
        for (var i = 0; i < 6; i++)
        {
            await index.ApplyAsync(Event(CeleryEventTypes.TaskReceived, $"id{i}", i, host: i % 2 == 0 ? "celery@even" : "celery@odd",
                fields: new { name = i < 3 ? "app.low" : "app.high", kwargs = $"{{'user': 'user-{i}'}}" }));
        }

        var page1 = await index.ListAsync(new TaskQuery { Limit = 4 });
        var page2 = await index.ListAsync(new TaskQuery { Limit = 4, Offset = 4 });
        var byWorkerAndName = await index.ListAsync(new TaskQuery { Worker = "celery@even", Name = "app.high" });
        var byText = await index.ListAsync(new TaskQuery { Search = "USER-3" });
        var byId = await index.ListAsync(new TaskQuery { Search = "id5" });
        var byTime = await index.ListAsync(new TaskQuery { From = Start.AddSeconds(2), To = Start.AddSeconds(3) });

        Assert.Equal(["id5", "id4", "id3", "id2"], page1.Tasks.Select(t => t.Id));
        Assert.Equal(6, page1.Total);
        Assert.True(page1.HasMore);
        Assert.Equal(["id1", "id0"], page2.Tasks.Select(t => t.Id));
        Assert.False(page2.HasMore);
        Assert.Equal(["id4"], byWorkerAndName.Tasks.Select(t => t.Id));
        Assert.Equal(["id3"], byText.Tasks.Select(t => t.Id));
        Assert.Equal(["id5"], byId.Tasks.Select(t => t.Id));
        Assert.Equal(["id3", "id2"], byTime.Tasks.Select(t => t.Id));
    }

    [Fact]
    public async Task TrimAsync_DropsTheOldestTasksFromEverySet_WhenOverTheBound()
    {
        var prefix = $"test-console-{Guid.NewGuid():N}:";
        var index = Create(prefix, maxTasks: 3);
        for (var i = 0; i < 5; i++)
        {
            await index.ApplyAsync(Event(CeleryEventTypes.TaskReceived, $"id{i}", i, fields: new { name = "app.t" }));
        }

        var removed = await index.TrimAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2, removed);
        Assert.Equal(3, await index.CountAsync());
        Assert.Null(await index.GetAsync("id0"));
        Assert.Null(await index.GetAsync("id1"));
        Assert.NotNull(await index.GetAsync("id2"));
        var database = _redis!.GetDatabase();
        Assert.Equal(3, await database.SortedSetLengthAsync(prefix + "state:" + TaskStates.Received));
        Assert.Equal(3, await database.SortedSetLengthAsync(prefix + "name:app.t"));
        Assert.Equal(3, await database.SortedSetLengthAsync(prefix + "worker:celery@a"));
    }
}
