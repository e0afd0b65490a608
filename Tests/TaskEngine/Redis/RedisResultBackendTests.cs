using System.Text;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Redis;
using Onboarding.Tests.Infrastructure;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Redis;

[Collection(BrokerCollection.Name)]
public sealed class RedisResultBackendTests(BrokerFixture fixture) : IAsyncLifetime
{
    private ConnectionMultiplexer? _redis;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private ConnectionMultiplexer Redis => _redis!;

    public async ValueTask InitializeAsync() => _redis = await ConnectionMultiplexer.ConnectAsync(fixture.RedisConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }
    }

    private RedisResultBackend Backend(Action<TaskEngineOptions>? configure = null)
    {
        var options = new TaskEngineOptions { ResultPollInterval = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        return new RedisResultBackend(Redis, Options.Create(options), TimeProvider.System);
    }

    [Fact]
    public async Task StoreAsync_SetsWithTtlAndPublishesSameJson_WhenStoring()
    {
        var backend = Backend(o => o.ResultExpires = TimeSpan.FromMinutes(5));
        var id = Guid.CreateVersion7().ToString();
        var json = ResultMetaWriter.Success(id, 42, DateTimeOffset.UtcNow, null, null);
        var published = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = await Redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal("celery-task-meta-" + id));
        channel.OnMessage(message => published.TrySetResult(message.Message!));

        Assert.True(await backend.StoreAsync(id, json, Token));

        Assert.Equal(Encoding.UTF8.GetString(json), await published.Task.WaitAsync(TimeSpan.FromSeconds(5), Token));
        Assert.Equal(Encoding.UTF8.GetString(json), (string?)await Redis.GetDatabase().StringGetAsync("celery-task-meta-" + id));
        Assert.InRange((await Redis.GetDatabase().KeyTimeToLiveAsync("celery-task-meta-" + id))!.Value, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));
        await channel.UnsubscribeAsync();
    }

    [Fact]
    public async Task StoreAsync_KeepsSuccess_WhenAnotherStateArrivesLater()
    {
        var backend = Backend();
        var id = Guid.CreateVersion7().ToString();
        await backend.StoreAsync(id, ResultMetaWriter.Success(id, 1, DateTimeOffset.UtcNow, null, null), Token);

        var stored = await backend.StoreAsync(id, ResultMetaWriter.Exception(
            id, TaskState.Failure, ExceptionInfo.Create("X", "y", "late"), null, DateTimeOffset.UtcNow, null, null), Token);

        Assert.False(stored);
        Assert.Equal(TaskState.Success, (await backend.GetAsync(id, Token))!.State);
    }

    [Fact]
    public async Task WaitAsync_FindsResultByPolling_WhenWriterOnlySets()
    {
        var backend = Backend();
        var id = Guid.CreateVersion7().ToString();
        var waiting = backend.WaitAsync(id, TimeSpan.FromSeconds(10), Token);

        // A foreign writer that SETs without PUBLISH: only the re-poll can see it.
        await Redis.GetDatabase().StringSetAsync("celery-task-meta-" + id,
            $$"""{"status": "SUCCESS", "result": "ok", "traceback": null, "children": [], "date_done": "2026-11-25T00:45:51.155166", "task_id": "{{id}}"}""");

        var meta = await waiting;
        Assert.Equal(TaskState.Success, meta.State);
        Assert.Equal("ok", meta.Result.GetString());
    }

    [Fact]
    public async Task WaitAsync_ThrowsTimeout_WhenNothingIsStored()
    {
        var backend = Backend();

        await Assert.ThrowsAsync<TimeoutException>(() =>
            backend.WaitAsync(Guid.CreateVersion7().ToString(), TimeSpan.FromMilliseconds(200), Token));
    }

    [Fact]
    public async Task StoreAsync_UsesKeyPrefix_WhenConfigured()
    {
        var backend = Backend(o => o.ResultKeyPrefix = "tenant1:");
        var id = Guid.CreateVersion7().ToString();

        await backend.StoreAsync(id, ResultMetaWriter.Success(id, null, DateTimeOffset.UtcNow, null, null), Token);

        Assert.True(await Redis.GetDatabase().KeyExistsAsync("tenant1:celery-task-meta-" + id));
        Assert.Equal(TaskState.Success, (await backend.GetAsync(id, Token))!.State);
    }
}
