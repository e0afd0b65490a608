using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Integration;

[Collection(BrokerCollection.Name)]
public sealed class EngineFeaturesTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_PropagatesTraceToWorkerSpan_WhenListening()
    {
        var activities = new ConcurrentQueue<Activity>();
        var id = Guid.CreateVersion7().ToString();
        var processStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TaskEngineDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                activities.Enqueue(activity);
                if (activity.OperationName == "diagnostics.ping process" && Equals(activity.GetTagItem("messaging.message.id"), id))
                {
                    processStopped.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, options: new TaskSendOptions { TaskId = id }, cancellationToken: Token);
        await result.GetAsync(Wait, Token);
        // The worker's span ends after the result is stored, so it can stop just after GetAsync returns.
        await processStopped.Task.WaitAsync(Wait, Token);

        var publish = Assert.Single(activities, a => a.OperationName == "diagnostics.ping publish" && Equals(a.GetTagItem("messaging.message.id"), result.Id));
        var process = Assert.Single(activities, a => a.OperationName == "diagnostics.ping process" && Equals(a.GetTagItem("messaging.message.id"), result.Id));
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(publish.TraceId, process.TraceId);
        // RabbitMQ.Client's own publish span sits between ours and the worker's when its source is listened to.
        Assert.NotEqual(default, process.ParentSpanId);
        Assert.Equal(host.Queue, process.GetTagItem("messaging.destination.name"));
    }

    [Fact]
    public async Task Worker_ConsumesQuorumQueue_WhenQueueIsConfiguredQuorum()
    {
        var queue = "test.quorum." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var host = await EngineTestHost.StartAsync(fixture, queue: queue, services: s =>
            s.Configure<Onboarding.TaskEngine.DependencyInjection.TaskEngineOptions>(o => o.QuorumQueues.Add(queue)));

        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("20"), Json("22")], cancellationToken: Token);

        Assert.Equal(42, (await result.GetAsync(Wait, Token)).GetInt32());
        await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token);
        // Re-declaring with the quorum argument succeeds only when the queue is a quorum queue.
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-delivery-limit"] = 20,
                ["x-dead-letter-exchange"] = string.Empty,
                ["x-dead-letter-routing-key"] = host.DeadLetterQueue,
            },
            cancellationToken: Token);
    }

    [Fact]
    public async Task QuorumQueue_DeadLettersMessage_WhenDeliveryLimitIsReached()
    {
        var queue = "test.quorum." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false, queue: queue, services: s =>
            s.Configure<Onboarding.TaskEngine.DependencyInjection.TaskEngineOptions>(o =>
            {
                o.QuorumQueues.Add(queue);
                o.DeliveryLimit = 2;
            }));
        await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        // Three deliveries that never end in an ack, as from a task that kills its worker each time.
        await using (var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token))
        {
            for (var delivery = 0; delivery < 3; delivery++)
            {
                var message = await channel.BasicGetAsync(queue, autoAck: false, Token);
                Assert.NotNull(message);
                await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, Token);
            }
        }

        // The quorum queue dead-letters on its own schedule, just after the last return.
        var dlq = host.Services.GetRequiredService<IDeadLetterQueue>();
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50)))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
            timeout.CancelAfter(Wait);
            while (await dlq.CountAsync(Token) == 0)
            {
                await timer.WaitForNextTickAsync(timeout.Token);
            }
        }

        Assert.Equal(1u, await dlq.CountAsync(Token));
        Assert.Equal(0u, await host.MessageCountAsync(queue));
        Assert.Equal(1, await dlq.ReplayAsync(cancellationToken: Token));
        Assert.Equal(1u, await host.MessageCountAsync(queue));
    }

    [Fact]
    public async Task Worker_SpacesRuns_WhenTaskIsRateLimited()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 4, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.limited", o => o.RateLimit = "4/s"));
        var stopwatch = Stopwatch.StartNew();

        var results = new List<TaskResult>();
        for (var i = 0; i < 6; i++)
        {
            results.Add(await host.Client.SendAsync("tests.limited", new FlakyArgs(0), cancellationToken: Token));
        }

        foreach (var result in results)
        {
            await result.GetAsync(Wait, Token);
        }

        // A bucket of 4 tokens refilled at 4/s: the 5th and 6th runs wait for ≥ 250 ms and 500 ms of refill.
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(450), $"all ran within {stopwatch.Elapsed}");
        Assert.Equal(6, recorder.Runs.Count);
    }

    [Fact]
    public async Task SendAsync_ReopensPublishChannel_WhenChannelWasClosed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var broker = host.Services.GetRequiredService<RabbitMqBroker>();
        await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        await broker.CloseChannelForTestsAsync();
        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
    }

    [Fact]
    public async Task SendAsync_FailsLoudly_WhenPublishIsNotConfirmed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        var broker = host.Services.GetRequiredService<RabbitMqBroker>();

        // Unroutable with mandatory=true: the broker returns it and the publish must throw, not succeed silently.
        await Assert.ThrowsAnyAsync<Exception>(() => broker.PublishRawAsync(
            "no.such.queue." + Guid.CreateVersion7(), new BasicProperties(), "[]"u8.ToArray(), Token));
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
