using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Events;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Onboarding.Tests.TaskEngine.Events;

public sealed record UserCreated(int UserId, string Email);

/// <summary>Every handled event, per subscriber.</summary>
internal sealed class EventLedger
{
    public ConcurrentDictionary<string, ConcurrentQueue<(string EventId, int Attempt)>> Handled { get; } = new();

    public ConcurrentDictionary<string, TaskCompletionSource> Waiters { get; } = new();

    public int Count(string subscriber, string eventId) =>
        Handled.TryGetValue(subscriber, out var queue) ? queue.Count(h => h.EventId == eventId) : 0;

    /// <summary>Completes when <paramref name="subscriber"/> handled <paramref name="eventId"/>.</summary>
    public Task WaitAsync(string subscriber, string eventId) =>
        Waiters.GetOrAdd(subscriber + "/" + eventId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
}

internal sealed class RecordUserCreatedHandler(EventLedger ledger) : IEventHandler<UserCreated>
{
    /// <summary>Events whose id starts with <c>fail2-</c> fail on their first two attempts.</summary>
    public Task HandleAsync(UserCreated payload, EventContext context, CancellationToken cancellationToken)
    {
        var id = context.Envelope.EventId;
        if (id.StartsWith("fail2-", StringComparison.Ordinal) && context.Attempt < 2)
        {
            throw new InvalidOperationException($"transient failure of {id} at attempt {context.Attempt}");
        }

        ledger.Handled.GetOrAdd(context.Subscriber, _ => new()).Enqueue((id, context.Attempt));
        ledger.Waiters.GetOrAdd(context.Subscriber + "/" + id, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        return Task.CompletedTask;
    }
}

[Collection(BrokerCollection.Name)]
public sealed class EventTests(BrokerFixture fixture) : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private readonly string _suffix = Guid.CreateVersion7().ToString("N")[^10..];
    private readonly EventLedger _ledger = new();
    private readonly List<EngineTestHost> _hosts = [];
    private readonly List<string> _subscribers = [];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Exchange => "test.events." + _suffix;

    [Fact]
    public async Task PublishAsync_ReachesEachSubscribingServiceOnce_WhenTwoServicesSubscribe()
    {
        var users = await StartSubscriberAsync("users", "user.created");
        await StartSubscriberAsync("notifications", "user.*");
        var publisher = users.Services.GetRequiredService<IEventPublisher>();

        var sent = await publisher.PublishAsync("user.created", new UserCreated(42, "a@b.c"), new EventPublishOptions { UserId = "42" }, Token);
        var sentinel = await publisher.PublishAsync("user.created", new UserCreated(43, "d@e.f"), cancellationToken: Token);

        foreach (var subscriber in _subscribers)
        {
            await _ledger.WaitAsync(subscriber, sentinel.EventId).WaitAsync(Wait, Token);
            Assert.Equal(1, _ledger.Count(subscriber, sent.EventId));
        }

        Assert.Equal("users-" + _suffix, sent.SourceService);
    }

    [Fact]
    public async Task Consumer_ContinuesPublishersTrace_WhenHandlingEvent()
    {
        var processed = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TaskEngineDiagnostics.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "user.created process" && activity.GetTagItem("messaging.consumer.group.name") is string group
                    && group.EndsWith(_suffix, StringComparison.Ordinal))
                {
                    processed.TrySetResult(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var host = await StartSubscriberAsync("users", "user.created");
        using var source = new ActivitySource("Onboarding.Tests.Events");
        using var listenToTests = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source.Name,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listenToTests);

        ActivityTraceId traceId;
        using (var request = source.StartActivity("POST /api/users"))
        {
            traceId = request!.TraceId;
            await host.Services.GetRequiredService<IEventPublisher>().PublishAsync("user.created", new UserCreated(1, "t@r.ace"), cancellationToken: Token);
        }

        var activity = await processed.Task.WaitAsync(Wait, Token);
        Assert.Equal(traceId, activity.TraceId);
        Assert.Equal(ActivityKind.Consumer, activity.Kind);
    }

    [Fact]
    public async Task Consumer_HandlesEventOnce_WhenSameEventIdIsPublishedTwice()
    {
        var host = await StartSubscriberAsync("users", "user.created");
        var publisher = host.Services.GetRequiredService<IEventPublisher>();
        var subscriber = _subscribers[0];

        var sent = await publisher.PublishAsync("user.created", new UserCreated(42, "a@b.c"), cancellationToken: Token);
        await _ledger.WaitAsync(subscriber, sent.EventId).WaitAsync(Wait, Token);
        await publisher.PublishAsync(sent, Token);
        var sentinel = await publisher.PublishAsync("user.created", new UserCreated(43, "d@e.f"), cancellationToken: Token);
        await _ledger.WaitAsync(subscriber, sentinel.EventId).WaitAsync(Wait, Token);

        Assert.Equal(1, _ledger.Count(subscriber, sent.EventId));
        Assert.Equal("done", (string?)await host.Redis.StringGetAsync($"onboarding-event-{subscriber}-{sent.EventId}"));
    }

    [Fact]
    public async Task Consumer_RetriesThroughBrokerUntilHandled_WhenHandlerFailsTwice()
    {
        var host = await StartSubscriberAsync("users", "user.created");
        var publisher = host.Services.GetRequiredService<IEventPublisher>();
        var subscriber = _subscribers[0];
        var eventId = "fail2-" + Guid.CreateVersion7();

        await publisher.PublishAsync("user.created", new UserCreated(42, "a@b.c"), new EventPublishOptions { EventId = eventId }, Token);
        await _ledger.WaitAsync(subscriber, eventId).WaitAsync(Wait, Token);

        var handled = Assert.Single(_ledger.Handled[subscriber]);
        Assert.Equal(2, handled.Attempt);
        // The handler signals the ledger before the dispatcher marks the event done: wait for the mark.
        var key = $"onboarding-event-{subscriber}-{eventId}";
        await Eventually.UntilAsync(async () => (string?)await host.Redis.StringGetAsync(key) == "done", Wait, Token);
    }

    [Theory]
    [InlineData("{not json", "undecodable")]
    [InlineData("""{"event_id":"e-unknown","event_type":"order.created","data":{},"timestamp":"2026-11-27T21:00:00Z","source_service":"orders","version":1}""", "unknown-event-type")]
    [InlineData("""{"event_id":"e-bad-data","event_type":"user.created","data":{"user_id":"not a number"},"timestamp":"2026-11-27T21:00:00Z","source_service":"users","version":1}""", "undecodable")]
    public async Task Consumer_DeadLettersWithReason_WhenEventCannotBeHandled(string body, string reason)
    {
        var host = await StartSubscriberAsync("users", "user.created");
        var queue = _subscribers[0] + ".events";
        var dead = new TaskCompletionSource<(string Reason, string Queue, string Body)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var channel = await host.Connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), Token);
        // Declared by the engine at start, of the type it is configured with.
        await channel.QueueDeclarePassiveAsync(host.DeadLetterQueue, Token);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, args) =>
        {
            var headers = args.BasicProperties.Headers!;
            dead.TrySetResult((Encoding.UTF8.GetString((byte[])headers["x-death-reason"]!),
                Encoding.UTF8.GetString((byte[])headers["x-original-queue"]!), Encoding.UTF8.GetString(args.Body.Span)));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(host.DeadLetterQueue, autoAck: true, consumer, Token);

        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true,
            new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent },
            Encoding.UTF8.GetBytes(body), Token);

        var (deadReason, originalQueue, deadBody) = await dead.Task.WaitAsync(Wait, Token);
        Assert.Equal(reason, deadReason);
        Assert.Equal(queue, originalQueue);
        Assert.Equal(body, deadBody);
        Assert.Empty(_ledger.Handled);
    }

    [Fact]
    public async Task PublishAsync_DeadLettersAsUnroutable_WhenNoQueueIsBoundToEventType()
    {
        var host = await StartPublisherAsync();
        var publisher = host.Services.GetRequiredService<IEventPublisher>();

        var sent = await publisher.PublishAsync("user.login", new UserCreated(7, "l@o.g"), cancellationToken: Token);

        var (headers, body) = await PeekDeadLetterAsync(host);
        Assert.Equal("unroutable", headers["x-death-reason"]);
        Assert.Equal(Exchange, headers["x-original-exchange"]);
        Assert.Equal("user.login", headers["x-original-routing-key"]);
        Assert.Equal("user.login", headers["x-event-type"]);
        Assert.Contains("312", headers["x-exception"], StringComparison.Ordinal);
        Assert.Equal(sent.EventId, EventEnvelope.FromUtf8Json(body).EventId);
    }

    [Fact]
    public async Task ReplayAsync_DeliversUnroutableEvent_WhenAServiceSubscribedSince()
    {
        var host = await StartPublisherAsync();
        var sent = await host.Services.GetRequiredService<IEventPublisher>()
            .PublishAsync("user.login", new UserCreated(7, "l@o.g"), cancellationToken: Token);
        await StartSubscriberAsync("audit", "user.login");

        var replayed = await host.Services.GetRequiredService<IDeadLetterQueue>().ReplayAsync(cancellationToken: Token);

        Assert.Equal(1, replayed);
        await _ledger.WaitAsync(_subscribers[^1], sent.EventId).WaitAsync(Wait, Token);
        Assert.Equal(0u, await host.MessageCountAsync(host.DeadLetterQueue));
    }

    [Fact]
    public async Task ReplayAsync_KeepsEventsDeadLetteredInOrder_WhenStillNobodySubscribes()
    {
        var host = await StartPublisherAsync();
        var publisher = host.Services.GetRequiredService<IEventPublisher>();
        var first = await publisher.PublishAsync("user.login", new UserCreated(7, "l@o.g"), cancellationToken: Token);
        await publisher.PublishAsync("user.logout", new UserCreated(7, "l@o.g"), cancellationToken: Token);
        var dlq = host.Services.GetRequiredService<IDeadLetterQueue>();

        var replayed = await dlq.ReplayAsync(cancellationToken: Token);

        Assert.Equal(0, replayed);
        Assert.Equal(2u, await dlq.CountAsync(Token));
        var (headers, body) = await PeekDeadLetterAsync(host);
        Assert.Equal("unroutable", headers["x-death-reason"]);
        Assert.Equal("user.login", headers["x-original-routing-key"]);
        Assert.Equal(first.EventId, EventEnvelope.FromUtf8Json(body).EventId);
    }

    [Fact]
    public async Task PublishAsync_DeliversWithoutDeadLettering_WhenEventTypeIsBound()
    {
        var host = await StartSubscriberAsync("users", "user.created");

        var sent = await host.Services.GetRequiredService<IEventPublisher>()
            .PublishAsync("user.created", new UserCreated(42, "a@b.c"), cancellationToken: Token);

        await _ledger.WaitAsync(_subscribers[0], sent.EventId).WaitAsync(Wait, Token);
        Assert.Equal(0u, await host.MessageCountAsync(host.DeadLetterQueue));
    }

    /// <summary>A service that publishes events and subscribes to none, on this test's exchange.</summary>
    private async Task<EngineTestHost> StartPublisherAsync()
    {
        var host = await EngineTestHost.StartAsync(fixture, worker: false, services: services => services.Configure<EventOptions>(o =>
        {
            o.Subscriber = "publisher-" + _suffix;
            o.Exchange = Exchange;
        }));
        _hosts.Add(host);
        return host;
    }

    /// <summary>The head of the host's dead-letter queue, left there; string headers decoded.</summary>
    private static async Task<(Dictionary<string, string> Headers, byte[] Body)> PeekDeadLetterAsync(EngineTestHost host)
    {
        await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token);
        var message = await channel.BasicGetAsync(host.DeadLetterQueue, autoAck: false, Token)
            ?? throw new InvalidOperationException("Nothing was dead-lettered.");
        var headers = message.BasicProperties.Headers!
            .Where(h => h.Value is byte[])
            .ToDictionary(h => h.Key, h => Encoding.UTF8.GetString((byte[])h.Value!), StringComparer.Ordinal);
        var body = message.Body.ToArray();
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, Token);
        return (headers, body);
    }

    private async Task<EngineTestHost> StartSubscriberAsync(string service, string pattern)
    {
        var subscriber = service + "-" + _suffix;
        _subscribers.Add(subscriber);
        var host = await EngineTestHost.StartAsync(fixture, worker: false,
            tasks: engine => engine.AddEventHandler<UserCreated, RecordUserCreatedHandler>(pattern),
            services: services =>
            {
                services.AddSingleton(_ledger);
                services.Configure<EventOptions>(o =>
                {
                    o.Subscriber = subscriber;
                    o.Exchange = Exchange;
                    o.Concurrency = 1;
                    o.RetryBackoff = TimeSpan.FromMilliseconds(100);
                });
            });
        _hosts.Add(host);
        await host.Services.GetRequiredService<EventConsumerService>().Started.WaitAsync(Wait, Token);
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
        }

        if (_hosts.Count > 0)
        {
            await using var channel = await _hosts[0].Connection.CreateChannelAsync();
            foreach (var subscriber in _subscribers)
            {
                var queue = subscriber + ".events";
                await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
                for (var exponent = 4; exponent <= 26; exponent++)
                {
                    await channel.QueueDeleteAsync($"onboarding.delay.{queue}.{1L << exponent}", ifUnused: false, ifEmpty: false);
                }
            }

            await channel.ExchangeDeleteAsync(Exchange, ifUnused: false);
        }

        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }
    }
}
