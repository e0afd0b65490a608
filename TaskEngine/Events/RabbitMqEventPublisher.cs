using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// Publishes each event once, persistent and confirmed, to the topic exchange with routing key = event type.
/// The publish is mandatory: an event no queue is bound to (nobody subscribed yet) comes back from the broker and is
/// kept in the dead-letter queue with reason <c>unroutable</c>, to be replayed to the exchange once someone subscribes.
/// </summary>
internal sealed class RabbitMqEventPublisher(
    IConnection connection,
    RabbitMqBroker broker,
    IOptions<EventOptions> options,
    IOptions<TaskEngineOptions> engineOptions,
    TimeProvider timeProvider,
    ILogger<RabbitMqEventPublisher> logger) : IEventPublisher, IAsyncDisposable
{
    private readonly EventOptions _options = options.Value;
    private readonly SemaphoreSlim _channelLock = new(1, 1);
    private IChannel? _channel;

    public async Task<EventEnvelope> PublishAsync<TEvent>(
        string eventType,
        TEvent payload,
        EventPublishOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(eventType);
        var envelope = new EventEnvelope
        {
            EventId = options?.EventId ?? Guid.CreateVersion7().ToString(),
            EventType = eventType,
            UserId = options?.UserId,
            Data = JsonSerializer.SerializeToElement(payload, EventSubscriptions.DataJson),
            Timestamp = timeProvider.GetUtcNow(),
            SourceService = _options.SourceService ?? _options.Subscriber ?? "unknown",
            Version = options?.Version ?? 1,
        };
        await PublishAsync(envelope, cancellationToken).ConfigureAwait(false);
        return envelope;
    }

    public async Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            [EventHeaders.EventType] = envelope.EventType,
        };
        using var activity = TaskEngineDiagnostics.ActivitySource.StartActivity(envelope.EventType + " publish", ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", _options.Exchange);
            activity.SetTag("messaging.rabbitmq.destination.routing_key", envelope.EventType);
            activity.SetTag("messaging.message.id", envelope.EventId);
        }

        DistributedContextPropagator.Current.Inject(activity ?? Activity.Current, headers, static (carrier, key, value) =>
        {
            if (carrier is IDictionary<string, object?> map)
            {
                map[key] = value;
            }
        });

        var properties = new BasicProperties
        {
            ContentType = "application/json",
            ContentEncoding = "utf-8",
            DeliveryMode = DeliveryModes.Persistent,
            MessageId = envelope.EventId,
            Type = envelope.EventType,
            Timestamp = new AmqpTimestamp(envelope.Timestamp.ToUnixTimeSeconds()),
            Headers = headers,
        };
        var body = envelope.ToUtf8Json();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
                await channel.BasicPublishAsync(_options.Exchange, envelope.EventType, mandatory: true, properties, body, cancellationToken)
                    .ConfigureAwait(false);
                break;
            }
            catch (PublishReturnException ex)
            {
                // Not the caller's failure: the event is a fact that happened; keep it until someone subscribes.
                await DeadLetterUnroutableAsync(envelope, properties, body, ex, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt <= engineOptions.Value.PublishRetries && ex is AlreadyClosedException or OperationInterruptedException)
            {
                TaskEngineLog.PublishRetry(logger, ex, _options.Exchange, attempt);
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << Math.Min(attempt - 1, 5))));
                await Task.Delay(backoff, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (activity is not null)
            {
                activity.AddException(ex);
                activity.SetStatus(ActivityStatusCode.Error);
                throw;
            }
        }

        EventDiagnostics.Published.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
    }

    private async Task DeadLetterUnroutableAsync(
        EventEnvelope envelope,
        BasicProperties properties,
        ReadOnlyMemory<byte> body,
        PublishReturnException returned,
        CancellationToken cancellationToken)
    {
        var reason = RabbitMqBroker.UnroutableReason;
        var detail = $"{returned.ReplyCode} {returned.ReplyText}";
        await broker.DeadLetterReturnedAsync(_options.Exchange, envelope.EventType, properties, body, reason, detail, cancellationToken)
            .ConfigureAwait(false);
        EventLog.Unroutable(logger, envelope.EventType, envelope.EventId, _options.Exchange);
        EventDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason),
            new KeyValuePair<string, object?>("event.type", envelope.EventType));
    }

    private async ValueTask<IChannel> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true } open)
        {
            return open;
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

            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
                cancellationToken).ConfigureAwait(false);
            await EventTopology.DeclareExchangeAsync(channel, _options.Exchange, cancellationToken).ConfigureAwait(false);
            _channel = channel;
            return channel;
        }
        finally
        {
            _channelLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _channelLock.Dispose();
    }
}
