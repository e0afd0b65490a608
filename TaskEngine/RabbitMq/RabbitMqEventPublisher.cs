using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Publishes each event once, persistent and confirmed, to the topic exchange with routing key = event type.
/// The publish is mandatory: an event no queue is bound to (nobody subscribed yet) comes back from the broker and is
/// kept in the dead-letter queue with reason <c>unroutable</c>, to be replayed to the exchange once someone subscribes.
/// </summary>
internal sealed class RabbitMqEventPublisher(
    IConnection connection,
    RabbitMqBroker broker,
    IOptions<EventOptions> options,
    TimeProvider timeProvider,
    ILogger<RabbitMqEventPublisher> logger) : IEventPublisher
{
    private readonly EventOptions _options = options.Value;
    private Task? _exchangeDeclared;

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
        try
        {
            for (var redeclared = false; ; redeclared = true)
            {
                await EnsureExchangeAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    // The engine's confirmed channel, with its retries across a connection recovery.
                    await broker.PublishRawAsync(_options.Exchange, envelope.EventType, properties, body, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (PublishReturnException ex)
                {
                    // Not the caller's failure: the event is a fact that happened; keep it until someone subscribes.
                    await DeadLetterUnroutableAsync(envelope, properties, body, ex, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception ex) when (!redeclared && ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // Still failing after the retries: the exchange may be gone (a broker that lost its data).
                    TaskEngineLog.PublishRetry(logger, ex, _options.Exchange, 1);
                    _exchangeDeclared = null;
                }
            }
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.AddException(ex);
            activity.SetStatus(ActivityStatusCode.Error);
            throw;
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

    private Task EnsureExchangeAsync(CancellationToken cancellationToken)
    {
        // Declared once per publisher (two racing first publishes both declare, which is harmless); the client's
        // topology recovery declares it again after a connection recovery.
        var declared = _exchangeDeclared ??= DeclareExchangeAsync();
        if (declared.IsFaulted || declared.IsCanceled)
        {
            _exchangeDeclared = null;
        }

        return declared.WaitAsync(cancellationToken);
    }

    private async Task DeclareExchangeAsync()
    {
        var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
        await using (channel.ConfigureAwait(false))
        {
            await EventTopology.DeclareExchangeAsync(channel, _options.Exchange, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
