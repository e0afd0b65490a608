using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Redis;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Resilience;

/// <summary>
/// The quick variant of the fault suite's <c>cluster-node-loss</c>: tasks with results in flight on a quorum queue of
/// the AppHost's three-node cluster, the node leading that queue SIGKILLed and started again.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterNodeLossTests(RabbitMQClusterFixture cluster) : IClassFixture<RabbitMQClusterFixture>
{
    private const int Tasks = 2_000;
    private const int Concurrency = 8;

    // About 5 s of work for the worker: the node is lost while most of it is still queued.
    private const double TaskSeconds = 0.02;

    [Fact]
    public async Task KillingTheQueueLeader_LosesNoTaskAndFailsNone_AndTheNodeRejoins()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = "cluster-loss." + Guid.NewGuid().ToString("N")[..8];
        using var sender = StartEngine(queue, worker: false);
        await sender.StartAsync(ct);
        var client = sender.Services.GetRequiredService<ITaskClient>();
        var backend = sender.Services.GetRequiredService<RedisResultBackend>();

        // Every task is queued (confirmed by a majority of the queue's replicas) before a worker takes any.
        var ids = new List<string>(Tasks);
        for (var i = 0; i < Tasks; i++)
        {
            var result = await client.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(TaskSeconds)], cancellationToken: ct);
            ids.Add(result.Id);
        }

        var leader = await cluster.QueueLeaderAsync(queue, ct);
        using var worker = StartEngine(queue, worker: true);
        await worker.StartAsync(ct);
        await Eventually.UntilAsync(async () => await ReadyAsync(backend, ids, ct) >= Tasks / 5, TestTimeouts.StartAndHealthy, ct, TimeSpan.FromMilliseconds(20));
        RabbitMQClusterFixture.Kill(leader);
        var readyAtLoss = await ReadyAsync(backend, ids, ct);

        // Processing resumes on the remaining majority while the node is down: more tasks finish than the worker held
        // when the node went.
        await Eventually.UntilAsync(
            async () => await ReadyAsync(backend, ids, ct) > readyAtLoss + (2 * Concurrency) + 50,
            TestTimeouts.StartAndHealthy, ct, TimeSpan.FromMilliseconds(100));
        Assert.False(RabbitMQClusterFixture.IsRunning(leader));
        await cluster.StartAsync(leader, ct);
        await Eventually.UntilAsync(async () => await ReadyAsync(backend, ids, ct) == Tasks, TestTimeouts.StartAndHealthy * 2, ct, TimeSpan.FromMilliseconds(250));

        var metas = await backend.GetManyAsync(ids, ct);
        var notSucceeded = metas.Select((meta, i) => (meta, i)).Where(m => m.meta?.State != TaskState.Success).ToList();
        Assert.True(notSucceeded.Count == 0, $"{notSucceeded.Count} tasks did not succeed, e.g. {string.Join(", ", notSucceeded.Take(5).Select(m => $"{ids[m.i]}: {m.meta?.State}"))}");
        Assert.Contains(leader.NodeName, await RabbitMQClusterFixture.RunningNodesAsync(cluster.Nodes, ct));

        await worker.StopAsync(ct);
        await using var channel = await sender.Services.GetRequiredService<IConnection>().CreateChannelAsync(cancellationToken: ct);
        Assert.Equal(0u, (await channel.QueueDeclarePassiveAsync(queue + ".dead", ct)).MessageCount);
        await sender.StopAsync(ct);
        await channel.QueueDeleteAsync(queue, cancellationToken: ct);
        await channel.QueueDeleteAsync(queue + ".dead", cancellationToken: ct);
    }

    private IHost StartEngine(string queue, bool worker)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = cluster.RabbitMqConnectionString,
            ["ConnectionStrings:redis"] = cluster.RedisConnectionString,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var engine = builder.AddTaskEngine(configure: o =>
        {
            o.QueueType = QueueType.Quorum;
            o.DefaultQueue = queue;
            o.DeadLetterQueue = queue + ".dead";
            o.Routes = [new TaskRoute { Pattern = "*", Queue = queue }];
            o.ResultPollInterval = TimeSpan.FromMilliseconds(200);
        });
        if (worker)
        {
            engine.AddTaskWorker(o =>
            {
                o.Queues = queue;
                o.Concurrency = Concurrency;
                o.Hostname = queue + "@%h";
            });
        }

        return builder.Build();
    }

    private static async Task<int> ReadyAsync(RedisResultBackend backend, IReadOnlyList<string> ids, CancellationToken ct) =>
        (await backend.GetManyAsync(ids, ct)).Count(meta => meta is not null && meta.State is TaskState.Success or TaskState.Failure);
}
