using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;
using RabbitMQ.Client;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// The one copy between an AMQP delivery and a <see cref="TaskDelivery"/>, both ways: out of the client library's
/// buffers (only valid during the consumer callback) for every consumer, and back into properties for a re-publish
/// (delay, dead-letter).
/// </summary>
internal static class AmqpDelivery
{
    // A quorum queue's count of the earlier deliveries that ended without an ack: read on delivery, dropped on re-publish.
    private const string DeliveryCountHeader = "x-delivery-count";

    /// <summary>Copies a delivery out of the client library's buffers.</summary>
    public static TaskDelivery ToTaskDelivery(
        string queue, ulong deliveryTag, bool redelivered, IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body,
        DateTimeOffset receivedAt) => new()
    {
        Queue = queue,
        DeliveryTag = deliveryTag,
        Redelivered = redelivered,
        DeliveryCount = properties.Headers is { } headers && headers.TryGetValue(DeliveryCountHeader, out var count) ? count switch
        {
            long value => value,
            int value => value,
            _ => 0,
        } : 0,
        Body = body.ToArray(),
        Headers = properties.Headers is null ? null : new Dictionary<string, object?>(properties.Headers, StringComparer.Ordinal),
        ContentType = properties.ContentType,
        ContentEncoding = properties.ContentEncoding,
        CorrelationId = properties.CorrelationId,
        ReplyTo = properties.ReplyTo,
        Priority = properties.Priority,
        MessageId = properties.MessageId,
        Timestamp = properties.IsTimestampPresent() ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime) : null,
        ReceivedAt = receivedAt,
    };

    /// <summary>Copies what a re-publish keeps; drops the broker's x-death bookkeeping and any AMQP expiration.</summary>
    public static BasicProperties ToProperties(TaskDelivery delivery)
    {
        var headers = delivery.Headers is null ? null : RepublishableHeaders(delivery.Headers);
        var properties = new BasicProperties
        {
            ContentType = delivery.ContentType,
            ContentEncoding = delivery.ContentEncoding,
            CorrelationId = delivery.CorrelationId,
            ReplyTo = delivery.ReplyTo,
            DeliveryMode = DeliveryModes.Persistent,
            Priority = delivery.Priority,
            MessageId = delivery.MessageId,
            Headers = headers,
        };
        if (delivery.Timestamp is { } timestamp)
        {
            properties.Timestamp = new AmqpTimestamp(timestamp.ToUnixTimeSeconds());
        }

        return properties;
    }

    // A message's headers without what the broker and the client add on the way: the x-death bookkeeping, a quorum
    // queue's delivery count and the client's publish-tracking number (the next publish gets a fresh one).
    public static Dictionary<string, object?> RepublishableHeaders(IDictionary<string, object?>? headers)
    {
        var copy = new Dictionary<string, object?>(headers?.Count ?? 0, StringComparer.Ordinal);
        foreach (var (key, value) in headers ?? new Dictionary<string, object?>())
        {
            if (!MessageHeaders.IsDeadLetterBookkeeping(key) && key is not "x-dotnet-pub-seq-no" and not DeliveryCountHeader)
            {
                copy[key] = value;
            }
        }

        return copy;
    }
}
