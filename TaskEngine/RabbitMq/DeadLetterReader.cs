using System.Collections;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;
using RabbitMQ.Client;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>Turns a message taken from the dead-letter queue into what an operator reads: id, reason, origin, headers, body.</summary>
internal static class DeadLetterReader
{
    public static DeadLetter Read(IReadOnlyBasicProperties properties, ReadOnlyMemory<byte> body)
    {
        IDictionary<string, object?> headers = properties.Headers ?? new Dictionary<string, object?>();
        string? Header(string name) => headers.TryGetValue(name, out var value) ? TaskEnvelope.AsString(value) : null;

        var exchange = Header(RabbitMqBroker.OriginalExchangeHeader);
        var routingKey = Header(RabbitMqBroker.OriginalRoutingKeyHeader);
        var origin = exchange is not null && routingKey is not null
            ? $"{exchange}/{routingKey}"
            : Header(RabbitMqBroker.OriginalQueueHeader) ?? Header("x-first-death-queue");
        return new DeadLetter(
            Id: Header("id") ?? properties.CorrelationId ?? properties.MessageId ?? BodyHash(body.Span),
            Task: Header("task"),
            Reason: Header(RabbitMqBroker.DeathReasonHeader) ?? Header("x-first-death-reason") ?? "unknown",
            Exception: Header(RabbitMqBroker.ExceptionHeader),
            Origin: origin,
            DeadLetteredAt: CeleryTime.TryParse(Header(RabbitMqBroker.DeadLetteredAtHeader), out var at) ? at : null,
            ContentType: properties.ContentType,
            Headers: headers.ToDictionary(pair => pair.Key, pair => Describe(pair.Value), StringComparer.Ordinal),
            Body: Encoding.UTF8.GetString(body.Span));
    }

    // A message with no id of any kind (e.g. junk a foreign client published) still needs a name to be shown and replayed by.
    private static string BodyHash(ReadOnlySpan<byte> body) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body))[..16];

    // Header values arrive as AMQP field values: byte[] for strings, lists and tables nested; shown as text.
    private static string? Describe(object? value) => value switch
    {
        null => null,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        IDictionary<string, object?> table => "{" + string.Join(", ", table.Select(p => $"{p.Key}: {Describe(p.Value)}")) + "}",
        IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object?>().Select(item => Describe(item) ?? "None")) + "]",
        AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O", CultureInfo.InvariantCulture),
        _ => TaskEnvelope.AsString(value),
    };
}
