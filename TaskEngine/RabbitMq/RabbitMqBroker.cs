using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Publishing side of RabbitMQ: idempotent topology, confirmed publishes to the default exchange with
/// routing key = queue (like Celery), delay queues, the dead-letter queue and its replay.
/// </summary>
/// <remarks>
/// Delays live in the broker: per target queue a set of durable delay queues <c>&lt;prefix&gt;.&lt;queue&gt;.&lt;ms&gt;</c>
/// whose TTL is a power of two milliseconds (16 ms … 2^26 ms ≈ 18.6 h) and whose dead-letter target is the
/// queue itself through the default exchange. A message goes to the largest tier not past its due time; when it
/// comes back early, the worker acks it and sends it to the next tier. Nothing waits unacked in a worker.
/// </remarks>
internal sealed class RabbitMqBroker : ITaskBroker, IAsyncDisposable
{
    public const string DeathReasonHeader = MessageHeaders.DeathReason;
    public const string ExceptionHeader = MessageHeaders.Exception;
    public const string OriginalQueueHeader = MessageHeaders.OriginalQueue;
    public const string OriginalExchangeHeader = MessageHeaders.OriginalExchange;
    public const string OriginalRoutingKeyHeader = MessageHeaders.OriginalRoutingKey;
    public const string DeadLetteredAtHeader = MessageHeaders.DeadLetteredAt;
    public const string UnroutableReason = "unroutable";
    public const string PossibleDuplicateHeader = MessageHeaders.PossibleDuplicate;
    internal const int MinDelayExponent = 4;
    internal const int MaxDelayExponent = 26;
    private const int MaxOutstandingConfirms = 4096;

    /// <summary>The dead-letter bookkeeping (ours and the broker's) a replayed message no longer carries.</summary>
    internal static readonly string[] ReplayStrippedHeaders =
    [
        DeathReasonHeader, ExceptionHeader, OriginalQueueHeader, OriginalExchangeHeader, OriginalRoutingKeyHeader, DeadLetteredAtHeader,
        "x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
        "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason", "x-delivery-count",
    ];

    private readonly IConnection _connection;
    private readonly TaskEngineOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RabbitMqBroker> _logger;
    private readonly ConcurrentDictionary<string, Task> _declared = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private IChannel? _channel;

    public RabbitMqBroker(IConnection connection, IOptions<TaskEngineOptions> options, TimeProvider timeProvider, ILogger<RabbitMqBroker> logger)
    {
        _connection = connection;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public IConnection Connection => _connection;

    public TimeSpan MinDelay { get; } = TimeSpan.FromMilliseconds(1 << MinDelayExponent);

    /// <summary>Declares the work queues and the dead-letter queue (durable; of the configured type, see <see cref="QueueArguments"/>).</summary>
    public async Task DeclareTopologyAsync(IEnumerable<string> queues, CancellationToken cancellationToken)
    {
        foreach (var queue in queues)
        {
            await EnsureQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        }

        await EnsureQueueAsync(_options.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Declares a task or event queue, or the dead-letter queue, with the arguments of its type.</summary>
    public Task EnsureQueueAsync(string queue, CancellationToken cancellationToken) =>
        EnsureDeclaredAsync(
            queue,
            queue == _options.DeadLetterQueue ? QueueArguments.ForDeadLetterQueue(_options) : QueueArguments.ForWorkQueue(_options, queue),
            cancellationToken);

    /// <summary>Publishes a task message to <paramref name="queue"/>, or to a delay queue when its ETA is ahead.</summary>
    public async Task PublishAsync(TaskMessage message, string queue, CancellationToken cancellationToken)
    {
        var encoded = TaskEnvelope.Encode(message);
        var properties = new BasicProperties
        {
            ContentType = TaskEnvelope.ContentType,
            ContentEncoding = TaskEnvelope.ContentEncoding,
            CorrelationId = message.Id,
            ReplyTo = message.ReplyTo,
            DeliveryMode = DeliveryModes.Persistent,
            Priority = message.Priority,
            Headers = encoded.Headers,
            // Seconds only (AMQP); the worker's queue-lag histogram reads it when there is no ETA.
            Timestamp = new AmqpTimestamp(_timeProvider.GetUtcNow().ToUnixTimeSeconds()),
        };

        var delay = message.Eta is { } eta ? eta - _timeProvider.GetUtcNow() : TimeSpan.Zero;
        await EnsureQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        if (DelayExponent(delay) is { } exponent)
        {
            await PublishToDelayAsync(queue, exponent, properties, encoded.Body, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await PublishRawAsync(queue, properties, encoded.Body, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a delivered message, unchanged, to the delay tier that fits <paramref name="remaining"/>.</summary>
    public async Task DelayAsync(TaskDelivery delivery, TimeSpan remaining, CancellationToken cancellationToken)
    {
        var exponent = DelayExponent(remaining) ?? MinDelayExponent;
        var properties = AmqpDelivery.ToProperties(delivery);
        if (delivery.PossibleDuplicate)
        {
            // Redelivered after a crash that may have followed this very delay: the first copy may be in a delay queue.
            properties.Headers = MarkPossibleDuplicate(properties.Headers);
        }

        await PublishToDelayAsync(delivery.Queue, exponent, properties, delivery.Body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the message to the dead-letter queue with the reason in headers (the caller then acks).</summary>
    public async Task DeadLetterAsync(TaskDelivery delivery, string reason, string? exception, CancellationToken cancellationToken)
    {
        var properties = AmqpDelivery.ToProperties(delivery);
        var headers = properties.Headers ?? new Dictionary<string, object?>();
        headers[OriginalQueueHeader] = delivery.Queue;
        properties.Headers = headers;
        await PublishDeadLetterAsync(properties, delivery.Body, reason, exception, delivery.Queue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Copies a message that never reached a queue (the broker returned it) to the dead-letter queue, with the
    /// reason and the exchange and routing key it was sent to, so that a replay can send it there again.
    /// </summary>
    public async Task DeadLetterReturnedAsync(
        string exchange,
        string routingKey,
        IReadOnlyBasicProperties properties,
        ReadOnlyMemory<byte> body,
        string reason,
        string? exception,
        CancellationToken cancellationToken)
    {
        var copy = new BasicProperties(properties);
        var headers = AmqpDelivery.RepublishableHeaders(properties.Headers);
        headers[OriginalExchangeHeader] = exchange;
        headers[OriginalRoutingKeyHeader] = routingKey;
        copy.Headers = headers;
        copy.DeliveryMode = DeliveryModes.Persistent;
        await PublishDeadLetterAsync(copy, body, reason, exception, exchange, cancellationToken).ConfigureAwait(false);
    }

    // The reason, the exception and the time on a copy whose headers already say where it came from. The queue is
    // declared first: a service that only publishes events may never have declared it.
    private async Task PublishDeadLetterAsync(
        BasicProperties properties, ReadOnlyMemory<byte> body, string reason, string? exception, string origin, CancellationToken cancellationToken)
    {
        var headers = properties.Headers!;
        headers[DeathReasonHeader] = reason;
        headers[ExceptionHeader] = exception is { Length: > 4000 } ? exception[..4000] : exception;
        headers[DeadLetteredAtHeader] = CeleryTime.FormatHeader(_timeProvider.GetUtcNow());
        await EnsureQueueAsync(_options.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        await PublishRawAsync(_options.DeadLetterQueue, properties, body, cancellationToken).ConfigureAwait(false);
        TaskEngineDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", origin),
            new KeyValuePair<string, object?>("reason", reason));
    }

    public async Task<uint> DeadLetterCountAsync(CancellationToken cancellationToken)
    {
        var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
        return await channel.MessageCountAsync(_options.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves dead-lettered messages back to <c>x-original-queue</c> (through the default exchange), or to
    /// <c>x-original-exchange</c> with <c>x-original-routing-key</c>, confirmed before each ack. A message the broker
    /// still cannot route goes back to the tail of the dead-letter queue, unchanged. One pass: at most the messages
    /// that were there when it started (and <paramref name="maxMessages"/>), so such a message is not taken again.
    /// </summary>
    /// <returns>The number of messages delivered to their destination.</returns>
    public Task<int> ReplayDeadLettersAsync(int maxMessages, CancellationToken cancellationToken) =>
        ReplayDeadLettersAsync(DeadLetterSelector.All, maxMessages, cancellationToken);

    /// <summary>The same for the dead letters <paramref name="selector"/> matches; the others keep their place.</summary>
    public async Task<int> ReplayDeadLettersAsync(DeadLetterSelector selector, int maxMessages, CancellationToken cancellationToken)
    {
        var moved = 0;
        await PassOverDeadLettersAsync(maxMessages, async result =>
        {
            if (!Selects(selector, result))
            {
                return false;
            }

            var properties = new BasicProperties(result.BasicProperties);
            var headers = properties.Headers is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(properties.Headers);
            var (exchange, routingKey) = ReplayDestination(headers, _options.DefaultQueue);
            foreach (var header in ReplayStrippedHeaders)
            {
                headers.Remove(header);
            }

            // A replay interrupted before its ack below is replayed again.
            headers[PossibleDuplicateHeader] = true;
            properties.Headers = headers;

            try
            {
                if (exchange.Length == 0)
                {
                    await EnsureQueueAsync(routingKey, cancellationToken).ConfigureAwait(false);
                }

                await PublishRawAsync(exchange, routingKey, properties, result.Body.ToArray(), cancellationToken).ConfigureAwait(false);
                moved++;
            }
            catch (PublishReturnException)
            {
                // Still nobody to receive it (e.g. an event type nobody subscribes to yet): keep it, as it was.
                await PublishRawAsync(_options.DeadLetterQueue, new BasicProperties(result.BasicProperties), result.Body.ToArray(), cancellationToken)
                    .ConfigureAwait(false);
            }

            return true;
        }, cancellationToken).ConfigureAwait(false);
        return moved;
    }

    /// <summary>Deletes the dead letters <paramref name="selector"/> matches; returns how many.</summary>
    public async Task<int> DiscardDeadLettersAsync(DeadLetterSelector selector, CancellationToken cancellationToken)
    {
        var discarded = 0;
        await PassOverDeadLettersAsync(int.MaxValue, result =>
        {
            var selected = Selects(selector, result);
            discarded += selected ? 1 : 0;
            return Task.FromResult(selected);
        }, cancellationToken).ConfigureAwait(false);
        return discarded;
    }

    /// <summary>Reads up to <paramref name="maxMessages"/> dead letters from the head of the queue and leaves them there.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListDeadLettersAsync(int maxMessages, CancellationToken cancellationToken)
    {
        var letters = new List<DeadLetter>();
        await PassOverDeadLettersAsync(maxMessages, result =>
        {
            letters.Add(DeadLetterReader.Read(result.BasicProperties, result.Body));
            return Task.FromResult(false);
        }, cancellationToken).ConfigureAwait(false);
        return letters;
    }

    private static bool Selects(DeadLetterSelector selector, BasicGetResult result) =>
        selector == DeadLetterSelector.All || selector.Matches(DeadLetterReader.Read(result.BasicProperties, result.Body));

    /// <summary>
    /// One pass over the dead-letter queue on a channel of its own: <paramref name="handle"/> sees each message and
    /// says whether it is done with it (acked) or not. Messages it leaves stay unacknowledged until the pass ends, so
    /// the next get moves on to the next message, and are then returned all at once, which puts them back where
    /// they were. At most the messages there when the pass started: what a handler sends back to the tail is not
    /// seen twice.
    /// </summary>
    private async Task PassOverDeadLettersAsync(
        int maxMessages, Func<BasicGetResult, Task<bool>> handle, CancellationToken cancellationToken)
    {
        await EnsureQueueAsync(_options.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var pending = await channel.MessageCountAsync(_options.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        ulong? lastLeft = null;
        uint left = 0;
        try
        {
            for (long taken = 0; taken < maxMessages && taken < pending; taken++)
            {
                var result = await channel.BasicGetAsync(_options.DeadLetterQueue, autoAck: false, cancellationToken).ConfigureAwait(false);
                if (result is null)
                {
                    break;
                }

                if (await handle(result).ConfigureAwait(false))
                {
                    await channel.BasicAckAsync(result.DeliveryTag, multiple: false, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    lastLeft = result.DeliveryTag;
                    left++;
                }
            }
        }
        finally
        {
            // One nack for all that were left, in delivery order: the broker puts them back at their old places.
            if (lastLeft is { } tag && channel.IsOpen)
            {
                await channel.BasicNackAsync(tag, multiple: true, requeue: true, CancellationToken.None).ConfigureAwait(false);
                await WaitUntilReturnedAsync(channel, left).ConfigureAwait(false);
            }
        }
    }

    // A quorum queue applies a return asynchronously: until it has, its message count leaves the returned messages out,
    // and a listing or replay right after this pass would see fewer dead letters. Wait (briefly) until they count again.
    private async Task WaitUntilReturnedAsync(IChannel channel, uint returned)
    {
        var deadline = _timeProvider.GetUtcNow() + TimeSpan.FromSeconds(5);
        while (await channel.MessageCountAsync(_options.DeadLetterQueue, CancellationToken.None).ConfigureAwait(false) < returned
            && _timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), _timeProvider, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Where a replay sends a dead letter: back to its exchange and routing key when it never reached a queue,
    /// else to our <c>x-original-queue</c>, else the broker's own (a quorum queue's delivery limit), else the default queue.
    /// </summary>
    internal static (string Exchange, string RoutingKey) ReplayDestination(IReadOnlyDictionary<string, object?>? headers, string defaultQueue)
    {
        if (TaskEnvelope.AsString(headers?.GetValueOrDefault(OriginalExchangeHeader)) is { } exchange
            && TaskEnvelope.AsString(headers?.GetValueOrDefault(OriginalRoutingKeyHeader)) is { } routingKey)
        {
            return (exchange, routingKey);
        }

        var queue = TaskEnvelope.AsString(headers?.GetValueOrDefault(OriginalQueueHeader))
            ?? TaskEnvelope.AsString(headers?.GetValueOrDefault("x-first-death-queue"))
            ?? defaultQueue;
        return (string.Empty, queue);
    }

    /// <summary>
    /// A confirmed publish to the default exchange. Retries when the channel or connection is closed (automatic
    /// recovery brings them back); a nack or an unroutable return throws.
    /// </summary>
    public Task PublishRawAsync(string queue, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        PublishRawAsync(string.Empty, queue, properties, body, cancellationToken);

    /// <summary>The same to an exchange: a <see cref="PublishReturnException"/> says no queue was bound for the key.</summary>
    public async Task PublishRawAsync(string exchange, string routingKey, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
                await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt <= _options.PublishRetries && ex is AlreadyClosedException or OperationInterruptedException)
            {
                TaskEngineLog.PublishRetry(_logger, ex, exchange.Length == 0 ? routingKey : exchange, attempt);
                // The broker may have taken the first attempt before the channel closed: the next one may be a second copy.
                properties.Headers = MarkPossibleDuplicate(properties.Headers);
                // 100 ms, 200 ms, 400 ms … capped at 2 s: long enough to span a connection recovery.
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << Math.Min(attempt - 1, 5))));
                await Task.Delay(backoff, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The power-of-two tier (ms exponent) for a delay, or null when it is too short to bother.</summary>
    internal static int? DelayExponent(TimeSpan delay)
    {
        var ms = delay.TotalMilliseconds;
        if (ms < 1 << MinDelayExponent)
        {
            return null;
        }

        var exponent = (int)Math.Floor(Math.Log2(ms));
        return Math.Clamp(exponent, MinDelayExponent, MaxDelayExponent);
    }

    internal string DelayQueueName(string queue, int exponent) =>
        string.Concat(_options.DelayQueuePrefix, ".", queue, ".", (1L << exponent).ToString(System.Globalization.CultureInfo.InvariantCulture));

    private async Task PublishToDelayAsync(string queue, int exponent, BasicProperties properties, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var delayQueue = DelayQueueName(queue, exponent);
        await EnsureDeclaredAsync(delayQueue, QueueArguments.ForDelayQueue(_options, queue, 1L << exponent), cancellationToken).ConfigureAwait(false);
        properties.Expiration = null;
        await PublishRawAsync(delayQueue, properties, body, cancellationToken).ConfigureAwait(false);
        TaskEngineDiagnostics.Delayed.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", queue));
    }

    private Task EnsureDeclaredAsync(string queue, IDictionary<string, object?>? arguments, CancellationToken cancellationToken)
    {
        var declaration = _declared.GetOrAdd(queue, (name, state) => DeclareAsync(name, state), arguments);
        if (declaration.IsFaulted || declaration.IsCanceled)
        {
            _declared.TryRemove(new KeyValuePair<string, Task>(queue, declaration));
        }

        return declaration.WaitAsync(cancellationToken);
    }

    private async Task DeclareAsync(string queue, IDictionary<string, object?>? arguments)
    {
        try
        {
            // A channel of its own: a failed declare (e.g. arguments that differ from an existing queue) closes it.
            await using var channel = await _connection.CreateChannelAsync().ConfigureAwait(false);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments).ConfigureAwait(false);
        }
        catch (OperationInterruptedException refusal) when (QueueMismatch.IsMismatch(refusal))
        {
            // Another type or other arguments than the existing queue's: no retry can succeed, so say exactly what differs.
            _declared.TryRemove(queue, out _);
            throw await QueueMismatch.DescribeAsync(_connection, queue, arguments, refusal).ConfigureAwait(false);
        }
        catch
        {
            _declared.TryRemove(queue, out _);
            throw;
        }
    }

    private async ValueTask<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        var channel = _channel;
        if (channel is { IsOpen: true })
        {
            return channel;
        }

        await _channelLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true })
            {
                return _channel;
            }

            if (_channel is not null)
            {
                await _channel.DisposeAsync().ConfigureAwait(false);
            }

            // Our own limiter on outstanding confirms: the library's default throttles (sleeps) once half of 128
            // permits are in use, which caps concurrent senders far below what one channel can carry.
            _channel = await _connection.CreateChannelAsync(
                new CreateChannelOptions(
                    publisherConfirmationsEnabled: true,
                    publisherConfirmationTrackingEnabled: true,
                    outstandingPublisherConfirmationsRateLimiter: new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                    {
                        PermitLimit = MaxOutstandingConfirms,
                        QueueLimit = int.MaxValue,
                    })),
                cancellationToken).ConfigureAwait(false);
            return _channel;
        }
        finally
        {
            _channelLock.Release();
        }
    }

    /// <summary>Closes the publish channel as a broker-side close would (tests of the reopen path).</summary>
    internal async Task CloseChannelForTestsAsync()
    {
        if (_channel is not null)
        {
            await _channel.CloseAsync().ConfigureAwait(false);
        }
    }

    internal static Dictionary<string, object?> MarkPossibleDuplicate(IDictionary<string, object?>? headers) =>
        new(headers ?? new Dictionary<string, object?>(), StringComparer.Ordinal) { [PossibleDuplicateHeader] = true };

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _channelLock.Dispose();
    }
}
