using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Events;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>
/// The engine on classic and on quorum queues (<c>TaskEngine:QueueType</c>): the key scenarios on both types, and what
/// only quorum queues do (delivery limit, refusing a declaration of the other type).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class QueueTypeTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static TheoryData<QueueType> QueueTypes => [QueueType.Classic, QueueType.Quorum];

    [Theory]
    [MemberData(nameof(QueueTypes))]
    public async Task SendAsync_StoresResult_OnEitherQueueType(QueueType type)
    {
        await using var host = await StartAsync(type);

        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [TaskWorkerTests.Json("20"), TaskWorkerTests.Json("22")], cancellationToken: Token);

        Assert.Equal(42, (await result.GetAsync(Wait, Token)).GetInt32());
        await AssertTypeAsync(host.Queue, type);
        await AssertTypeAsync(host.DeadLetterQueue, type);
    }

    [Theory]
    [MemberData(nameof(QueueTypes))]
    public async Task SendAsync_RunsAfterCountdownInDelayQueue_OnEitherQueueType(QueueType type)
    {
        await using var host = await StartAsync(type);
        var delayQueue = $"onboarding.delay.{host.Queue}.1024";

        var result = await host.Client.SendAsync(
            DiagnosticTasks.Ping, options: new TaskSendOptions { Countdown = TimeSpan.FromMilliseconds(1500) }, cancellationToken: Token);

        // Held by the broker in the 1024 ms tier (message TTL on a quorum queue too), then dead-lettered back.
        Assert.Equal(1u, await host.MessageCountAsync(delayQueue));
        Assert.Equal(TaskState.Pending, await result.GetStateAsync(Token));
        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
        await AssertTypeAsync(delayQueue, type);
    }

    [Theory]
    [MemberData(nameof(QueueTypes))]
    public async Task Retry_RunsAgainAfterBackoff_OnEitherQueueType(QueueType type)
    {
        var recorder = new Recorder();
        await using var host = await StartAsync(type, services: s => s.AddSingleton(recorder), tasks: Flaky(maxRetries: 3));

        var result = await host.Client.SendAsync("tests.flaky", new FlakyArgs(2), cancellationToken: Token);

        Assert.Equal(2, await result.GetAsync<int>(Wait, Token));
        Assert.Equal([(result.Id, 0), (result.Id, 1), (result.Id, 2)], recorder.Runs.ToArray());
    }

    [Theory]
    [MemberData(nameof(QueueTypes))]
    public async Task Retry_StoresFailureAndDeadLettersWithReason_OnEitherQueueType(QueueType type)
    {
        var recorder = new Recorder();
        await using var host = await StartAsync(type, services: s => s.AddSingleton(recorder), tasks: Flaky(maxRetries: 1));

        var result = await host.Client.SendAsync("tests.flaky", new FlakyArgs(5), cancellationToken: Token);

        await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        var letter = Assert.Single(await host.Services.GetRequiredService<IDeadLetterQueue>().ListAsync(10, Token));
        Assert.Equal((result.Id, "retries-exhausted", host.Queue), (letter.Id, letter.Reason, letter.Origin));
    }

    [Theory]
    [MemberData(nameof(QueueTypes))]
    public async Task PublishAsync_ReachesEventHandler_OnEitherQueueType(QueueType type)
    {
        var suffix = Guid.CreateVersion7().ToString("N")[^10..];
        var ledger = new EventLedger();
        var subscriber = "quorum-events-" + suffix;
        await using var host = await StartAsync(type, tasks: e => e.AddEventHandler<UserCreated, RecordUserCreatedHandler>("user.created"),
            services: s =>
            {
                s.AddSingleton(ledger);
                s.Configure<EventOptions>(o =>
                {
                    o.Subscriber = subscriber;
                    o.Exchange = "test.events." + suffix;
                });
            });
        try
        {
            await host.Services.GetRequiredService<EventConsumerService>().Started.WaitAsync(Wait, Token);

            var sent = await host.Services.GetRequiredService<IEventPublisher>().PublishAsync("user.created", new UserCreated(7, "q@x.y"), cancellationToken: Token);

            await ledger.WaitAsync(subscriber, sent.EventId).WaitAsync(Wait, Token);
            await host.StopAsync();
            await AssertTypeAsync(subscriber + ".events", type);
        }
        finally
        {
            await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: CancellationToken.None);
            await channel.QueueDeleteAsync(subscriber + ".events", ifUnused: false, ifEmpty: false, cancellationToken: CancellationToken.None);
        }
    }

    [Fact]
    public async Task QuorumQueue_DeadLettersWithReason_WhenDeliveryLimitIsReached()
    {
        await using var host = await StartAsync(QueueType.Quorum, worker: false, configure: o => o.DeliveryLimit = 2);
        var sent = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        // Three deliveries that never end in an ack, as of a task that kills its worker each time.
        await ReturnUnackedAsync(host, times: 3);

        // The broker dead-letters it on its own, just after the last return, into our dead-letter queue.
        var dlq = host.Services.GetRequiredService<IDeadLetterQueue>();
        await Eventually.UntilAsync(async () => await dlq.CountAsync(Token) == 1, Wait, Token);
        var letter = Assert.Single(await dlq.ListAsync(10, Token));
        Assert.Equal((sent.Id, "delivery_limit", host.Queue), (letter.Id, letter.Reason, letter.Origin));
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));

        // Each listing returns the message unacknowledged, which a quorum queue counts as a delivery: the dead-letter
        // queue must not drop it after a few listings, and each listing must find it (the last one's return applied).
        for (var listing = 0; listing < 4; listing++)
        {
            Assert.Single(await dlq.ListAsync(10, Token));
        }

        Assert.Equal(1, await dlq.ReplayAsync(cancellationToken: Token));
        Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task QuorumQueue_FailsTheTaskWithStoredFailure_WhenAWorkerGetsItsLastAllowedDelivery()
    {
        await using var host = await StartAsync(QueueType.Quorum, worker: false, configure: o => o.DeliveryLimit = 2);
        var sent = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        // Two deliveries that never end in an ack, as of a task that kills its worker each time.
        await ReturnUnackedAsync(host, times: 2);

        // The third delivery is the last the broker allows: the worker fails it rather than let the broker drop it unseen.
        await using var worker = await StartAsync(QueueType.Quorum, queue: host.Queue, configure: o => o.DeliveryLimit = 2);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => sent.GetAsync(Wait, Token));
        Assert.Equal((TaskState.Failure, "DeliveryLimitExceeded"), (failure.State, failure.Exception?.Type));
        var dlq = host.Services.GetRequiredService<IDeadLetterQueue>();
        var letter = Assert.Single(await dlq.ListAsync(10, Token));
        Assert.Equal((sent.Id, "delivery_limit", host.Queue), (letter.Id, letter.Reason, letter.Origin));
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
    }

    [Theory]
    [InlineData(QueueType.Classic, QueueType.Quorum)]
    [InlineData(QueueType.Quorum, QueueType.Classic)]
    public async Task StartAsync_ThrowsNamingQueueAndBothTypes_WhenQueueExistsAsOtherType(QueueType existing, QueueType configured)
    {
        var queue = "test.mismatch." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var first = await StartAsync(existing, worker: false, queue: queue);
        await first.StopAsync();

        var error = await Assert.ThrowsAsync<QueueMismatchException>(() => StartAsync(configured, queue: queue));

        var (existingName, configuredName) = (existing.ToString().ToLowerInvariant(), configured.ToString().ToLowerInvariant());
        Assert.Equal((queue, configuredName, existingName), (error.Queue, error.DeclaredType, error.ExistingType));
        Assert.Contains($"'{queue}' exists on the broker as a {existingName} queue", error.Message, StringComparison.Ordinal);
        Assert.Contains($"declares it as a {configuredName} queue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ThrowsNamingArgument_WhenQuorumQueueHasOtherDeliveryLimit()
    {
        var queue = "test.mismatch." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var first = await StartAsync(QueueType.Quorum, worker: false, queue: queue, configure: o => o.DeliveryLimit = 5);
        await first.StopAsync();

        var error = await Assert.ThrowsAsync<QueueMismatchException>(() => StartAsync(QueueType.Quorum, queue: queue));

        Assert.Equal(("quorum", "quorum"), (error.DeclaredType, error.ExistingType));
        Assert.Contains("x-delivery-limit: declared 20, on the broker 5.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Queues_OverridesQueueTypePerQueue_WhenSetForOneQueue()
    {
        var queue = "test." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var host = await StartAsync(QueueType.Quorum, queue: queue,
            configure: o => o.Queues[queue] = new QueueSettings { Type = QueueType.Classic });

        var result = await host.Client.SendAsync(
            DiagnosticTasks.Ping, options: new TaskSendOptions { Countdown = TimeSpan.FromMilliseconds(100) }, cancellationToken: Token);

        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
        await AssertTypeAsync(queue, QueueType.Classic);
        await AssertTypeAsync($"onboarding.delay.{queue}.64", QueueType.Classic);
        await AssertTypeAsync(host.DeadLetterQueue, QueueType.Quorum);
    }

    // "tests.flaky" retried through the delay queues every 40 ms, at most maxRetries times.
    private static Action<ITaskEngineBuilder> Flaky(int maxRetries) => e => e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
    {
        o.RetryOnException<TransientException>();
        o.MaxRetries = maxRetries;
        o.RetryBackoff = TimeSpan.FromMilliseconds(40);
        o.RetryJitter = false;
    });

    private Task<EngineTestHost> StartAsync(
        QueueType type,
        bool worker = true,
        string? queue = null,
        Action<TaskEngineOptions>? configure = null,
        Action<ITaskEngineBuilder>? tasks = null,
        Action<IServiceCollection>? services = null) =>
        EngineTestHost.StartAsync(fixture, tasks, worker, queue: queue, services: services, engineOptions: o =>
        {
            o.QueueType = type;
            configure?.Invoke(o);
        });

    // Takes the queue's message and returns it unacknowledged, as often as asked: each return counts as a delivery.
    private static async Task ReturnUnackedAsync(EngineTestHost host, int times)
    {
        await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token);
        for (var delivery = 0; delivery < times; delivery++)
        {
            BasicGetResult? message = null;
            await Eventually.UntilAsync(async () => (message = await channel.BasicGetAsync(host.Queue, autoAck: false, Token)) is not null, Wait, Token);
            await channel.BasicNackAsync(message!.DeliveryTag, multiple: false, requeue: true, Token);
        }
    }

    /// <summary>
    /// Asserts a queue's type by how the broker treats a consumer that asks for a global QoS, independently of the
    /// arguments the engine declares: a quorum queue refuses it (540 NOT_IMPLEMENTED), a classic one accepts it.
    /// Call it on an empty queue: a classic queue delivers to the probe, which returns the message when it closes.
    /// </summary>
    private async Task AssertTypeAsync(string queue, QueueType expected)
    {
        // A connection of its own: the refusal must not disturb the host's.
        await using var connection = await new ConnectionFactory { Uri = new Uri(fixture.RabbitMqConnectionString) }.CreateConnectionAsync(Token);
        var channel = await connection.CreateChannelAsync(cancellationToken: Token);
        try
        {
            await channel.BasicQosAsync(0, 1, global: true, Token);
            var tag = await channel.BasicConsumeAsync(queue, autoAck: false, new AsyncEventingBasicConsumerStub(channel), Token);
            await channel.BasicCancelAsync(tag, cancellationToken: Token);
            await channel.CloseAsync(Token);
        }
        catch (OperationInterruptedException)
        {
            // The broker refuses a consumer by closing the channel (AlreadyClosedException is one of these).
        }

        var refused = channel.CloseReason?.ReplyCode == 540;
        Assert.True(refused == (expected == QueueType.Quorum), $"{queue}: expected a {expected} queue; the channel's close: {channel.CloseReason}");
        try
        {
            await channel.DisposeAsync();
        }
        catch (AlreadyClosedException)
        {
            // Disposing a channel the broker closed repeats the broker's reason.
        }
    }

    private sealed class AsyncEventingBasicConsumerStub(IChannel channel) : AsyncDefaultBasicConsumer(channel);
}
