using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using RabbitMQ.Client;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// Publishes each event once, persistent and confirmed, to the topic exchange with routing key = event type.
/// An event no queue is bound to is not an error (nobody subscribed yet), so the publish is not mandatory.
/// </summary>
internal sealed class RabbitMqEventPublisher(
    IConnection connection,
    IOptions<EventOptions> options,
    IOptions<TaskEngineOptions> engineOptions,
    TimeProvider timeProvider,
    ILogger<RabbitMqEventPublisher> logger) : IEventPublisher, IAsyncDisposable
{
    private readonly EventOptions _options = options.Value;
    private readonly ConfirmedPublishChannel _publish = new(
        connection, engineOptions.Value.PublishRetries, timeProvider, logger,
        (channel, cancellationToken) => EventTopology.DeclareExchangeAsync(channel, options.Value.Exchange, cancellationToken));

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
            await _publish.PublishAsync(_options.Exchange, envelope.EventType, mandatory: false, properties, body, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (activity is not null)
        {
            activity.AddException(ex);
            activity.SetStatus(ActivityStatusCode.Error);
            throw;
        }

        EventDiagnostics.Published.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
    }

    public ValueTask DisposeAsync() => _publish.DisposeAsync();
}
