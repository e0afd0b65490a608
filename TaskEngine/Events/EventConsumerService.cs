using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// Consumes this service's one durable queue <c>&lt;subscriber&gt;.events</c>, bound to the topic exchange for every
/// subscribed pattern, and dispatches each event to its handlers in a DI scope of its own.
/// </summary>
/// <remarks>
/// Idempotent by event id: before running, the event is claimed in Redis (<c>onboarding-event-&lt;subscriber&gt;-&lt;id&gt;</c>,
/// a lease with an owner token); after all handlers succeed the key becomes <c>done</c> for
/// <see cref="EventOptions.IdempotencyWindow"/>, and only then is the message acked. A redelivery or a re-publish of a
/// done event is acked without running; one another replica is running is put back through a delay queue. A handler
/// failure releases the claim and re-publishes the event through the engine's delay queues with backoff (nothing
/// waits in memory); past <see cref="EventOptions.MaxRetries"/>, and at once for an unknown type or an unreadable
/// body, the event goes to the engine's dead-letter queue with the reason in headers.
/// </remarks>
internal sealed class EventConsumerService(
    RabbitMqBroker broker,
    EventSubscriptions subscriptions,
    IServiceScopeFactory scopeFactory,
    IConnectionMultiplexer redis,
    ResultStoreRetry storeRetry,
    IOptions<EventOptions> options,
    TimeProvider timeProvider,
    ILogger<EventConsumerService> logger) : BackgroundService
{
    private const string Done = "done";

    // KEYS[1] = key, ARGV[1] = owner token, ARGV[2] = lease ms. 1 = claimed, 0 = handled already, -1 = held elsewhere.
    private const string ClaimScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        if v == 'done' then return 0 end
        return -1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private static readonly TimeSpan HeldElsewhereDelay = TimeSpan.FromSeconds(1);

    private readonly EventOptions _options = options.Value;

    // Every handler failure is retried, with the tasks' backoff, until MaxRetries.
    private readonly RetryPolicy _retry = new(
        options.Value.MaxRetries, options.Value.RetryBackoff, options.Value.RetryBackoffMax, options.Value.RetryJitter, RetryPolicy.AnyException);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _inFlight;

    /// <summary>Signals that the queue is bound and consumed (for tests and health).</summary>
    public Task Started => _started.Task;

    internal string RedisKey(string eventId) => $"onboarding-event-{_options.Subscriber}-{eventId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = _options.QueueName;
        await broker.EnsureQueueAsync(queue, stoppingToken).ConfigureAwait(false);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var channel = await broker.Connection.CreateChannelAsync(
                    new CreateChannelOptions(false, false, consumerDispatchConcurrency: (ushort)_options.Concurrency),
                    stoppingToken).ConfigureAwait(false);
                await using (channel.ConfigureAwait(false))
                {
                    channel.ChannelShutdownAsync += (_, args) =>
                    {
                        // Connection loss is healed by automatic recovery; a channel-level error is not.
                        if (args.Initiator != ShutdownInitiator.Application && broker.Connection.IsOpen)
                        {
                            closed.TrySetResult();
                        }

                        return Task.CompletedTask;
                    };
                    await EventTopology.DeclareExchangeAsync(channel, _options.Exchange, stoppingToken).ConfigureAwait(false);
                    foreach (var pattern in subscriptions.Patterns)
                    {
                        await channel.QueueBindAsync(queue, _options.Exchange, pattern, cancellationToken: stoppingToken).ConfigureAwait(false);
                    }

                    await channel.BasicQosAsync(0, (ushort)Math.Min(ushort.MaxValue, _options.Concurrency * 2), global: false, stoppingToken)
                        .ConfigureAwait(false);
                    var consumer = new AsyncEventingBasicConsumer(channel);
                    consumer.ReceivedAsync += (_, args) => OnReceivedAsync(channel, queue, args, stoppingToken);
                    await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false);
                    EventLog.ConsumerStarted(logger, _options.Subscriber!, queue, string.Join(',', subscriptions.Patterns));
                    _started.TrySetResult();
                    try
                    {
                        await closed.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        // An ack sent after the channel closed makes the broker close the whole (shared) connection
                        // with CHANNEL_ERROR 504: let running handlers finish or give up before the channel goes.
                        await DrainAsync().ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: unacked deliveries go back to the queue when the channel closes.
        }
    }

    private async Task DrainAsync()
    {
        var deadline = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(5);
        while (Volatile.Read(ref _inFlight) > 0 && timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), timeProvider).ConfigureAwait(false);
        }
    }

    private async Task OnReceivedAsync(IChannel channel, string queue, BasicDeliverEventArgs args, CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await ProcessAsync(channel, queue, args, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task ProcessAsync(IChannel channel, string queue, BasicDeliverEventArgs args, CancellationToken stoppingToken)
    {
        var delivery = AmqpDelivery.ToTaskDelivery(
            queue, args.DeliveryTag, args.Redelivered, args.BasicProperties, args.Body, timeProvider.GetUtcNow());

        try
        {
            var handled = await HandleAsync(delivery, stoppingToken).ConfigureAwait(false);
            if (channel.IsOpen)
            {
                if (handled)
                {
                    await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: left unacked, so the broker redelivers it.
        }
        catch (Exception ex)
        {
            EventLog.DeliveryError(logger, ex);
            await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Handles one delivery; true when it may be acked (handled, skipped, re-published or dead-lettered), false when
    /// the handlers ran but Redis stayed away too long to mark the event handled (it goes back to the queue).
    /// </summary>
    private async Task<bool> HandleAsync(TaskDelivery delivery, CancellationToken stoppingToken)
    {
        if (ReadLong(delivery.Headers, EventHeaders.DueAt) is { } dueMs)
        {
            var remaining = DateTimeOffset.FromUnixTimeMilliseconds(dueMs) - timeProvider.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                await broker.DelayAsync(delivery, remaining, stoppingToken).ConfigureAwait(false);
                return true;
            }
        }

        EventEnvelope envelope;
        try
        {
            envelope = EventEnvelope.FromUtf8Json(delivery.Body.Span);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            await DeadLetterAsync(delivery, null, "undecodable", ex, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var handlers = subscriptions.Match(envelope.EventType);
        if (handlers.Count == 0)
        {
            await DeadLetterAsync(delivery, envelope.EventId, "unknown-event-type", null, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var parent = ExtractParent(delivery.Headers);
        using var activity = TaskEngineDiagnostics.ActivitySource.StartActivity(
            envelope.EventType + " process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", delivery.Queue);
        activity?.SetTag("messaging.message.id", envelope.EventId);
        activity?.SetTag("messaging.consumer.group.name", _options.Subscriber);

        var key = RedisKey(envelope.EventId);
        var token = Guid.CreateVersion7().ToString("N");
        var database = redis.GetDatabase();
        var claim = (int)await database.ScriptEvaluateAsync(ClaimScript, [key],
            [token, (long)_options.ProcessingLease.TotalMilliseconds]).ConfigureAwait(false);
        if (claim == 0)
        {
            EventLog.Duplicate(logger, envelope.EventType, envelope.EventId, _options.Subscriber!);
            EventDiagnostics.Duplicates.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
            activity?.SetTag("event.duplicate", true);
            return true;
        }

        if (claim < 0)
        {
            // Another replica is running it: look again later, without counting an attempt.
            await broker.DelayAsync(delivery, HeldElsewhereDelay, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var attempt = (int)(ReadLong(delivery.Headers, EventHeaders.Attempt) ?? 0);
        try
        {
            await using (var scope = scopeFactory.CreateAsyncScope())
            {
                var context = new EventContext(envelope, attempt, _options.Subscriber!);
                foreach (var handler in handlers)
                {
                    await handler.InvokeAsync(scope.ServiceProvider, context, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            await database.ScriptEvaluateAsync(ReleaseScript, [key], [token]).ConfigureAwait(false);
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            if (ex is OperationCanceledException && stoppingToken.IsCancellationRequested)
            {
                throw;
            }

            if (ex is EventDecodeException)
            {
                await DeadLetterAsync(delivery, envelope.EventId, "undecodable", ex, stoppingToken).ConfigureAwait(false);
            }
            else if (_retry.Decide(ex, attempt, Random.Shared.NextDouble()) is { Verdict: RetryVerdict.Retry } retry)
            {
                await RetryAsync(delivery, envelope, attempt, retry.Delay, ex, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await DeadLetterAsync(delivery, envelope.EventId, "max-retries-exceeded", ex, stoppingToken).ConfigureAwait(false);
            }

            return true;
        }

        // Handled: a Redis blip must not make a redelivery run the handlers again, so the mark is retried like a task's result.
        try
        {
            await database.StringSetAsync(key, Done, _options.IdempotencyWindow).ConfigureAwait(false);
        }
        catch (Exception ex) when (storeRetry.IsTransient(ex))
        {
            if (!await RetryHandledMarkAsync(envelope, key, ex, stoppingToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        EventDiagnostics.Handled.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
        return true;
    }

    private Task<bool> RetryHandledMarkAsync(EventEnvelope envelope, string key, Exception failure, CancellationToken stoppingToken) =>
        storeRetry.RetryAsync("handled mark", envelope.EventType, envelope.EventId, failure,
            () => redis.GetDatabase().StringSetAsync(key, Done, _options.IdempotencyWindow), stoppingToken);

    /// <summary>Re-publishes through the engine's delay queues; the due time and attempt ride in headers.</summary>
    private async Task RetryAsync(
        TaskDelivery delivery, EventEnvelope envelope, int attempt, TimeSpan delay, Exception exception, CancellationToken cancellationToken)
    {
        var headers = delivery.Headers is null
            ? new Dictionary<string, object?>(StringComparer.Ordinal)
            : new Dictionary<string, object?>(delivery.Headers, StringComparer.Ordinal);
        headers[EventHeaders.Attempt] = attempt + 1;
        headers[EventHeaders.DueAt] = (timeProvider.GetUtcNow() + delay).ToUnixTimeMilliseconds();
        await broker.DelayAsync(delivery with { Headers = headers }, delay, cancellationToken).ConfigureAwait(false);
        EventLog.HandlerRetrying(logger, exception, envelope.EventType, envelope.EventId, _options.Subscriber!, attempt + 1, delay);
        EventDiagnostics.Retried.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
    }

    private async Task DeadLetterAsync(TaskDelivery delivery, string? eventId, string reason, Exception? exception, CancellationToken cancellationToken)
    {
        await broker.DeadLetterAsync(delivery, reason, exception is null ? null : MessageHeaders.Describe(exception), cancellationToken)
            .ConfigureAwait(false);
        EventLog.DeadLettered(logger, eventId, delivery.Queue, reason);
        EventDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    private static ActivityContext ExtractParent(IDictionary<string, object?>? headers)
    {
        if (headers is null)
        {
            return default;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IDictionary<string, object?> map && map.TryGetValue(name, out var raw) ? TaskEnvelope.AsString(raw) : null;
        }, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, out var context) ? context : default;
    }

    private static long? ReadLong(IDictionary<string, object?>? headers, string name) =>
        (headers is not null && headers.TryGetValue(name, out var value) ? value : null) switch
        {
            int i => i,
            long l => l,
            byte[] bytes when long.TryParse(System.Text.Encoding.UTF8.GetString(bytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
}
