using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// An integration event as it travels on the wire (the seed's envelope):
/// <c>{event_id, event_type, user_id?, data, timestamp, source_service, version}</c>.
/// </summary>
public sealed record EventEnvelope
{
    [JsonPropertyName("event_id")]
    public required string EventId { get; init; }

    /// <summary>The event type, also the routing key on the topic exchange (<c>user.created</c>).</summary>
    [JsonPropertyName("event_type")]
    public required string EventType { get; init; }

    [JsonPropertyName("user_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? UserId { get; init; }

    [JsonPropertyName("data")]
    public required JsonElement Data { get; init; }

    [JsonPropertyName("timestamp")]
    public required DateTimeOffset Timestamp { get; init; }

    [JsonPropertyName("source_service")]
    public required string SourceService { get; init; }

    [JsonPropertyName("version")]
    public int Version { get; init; } = 1;

    /// <summary>The UTF-8 JSON body of the message.</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, EventJsonContext.Default.EventEnvelope);

    /// <summary>Reads a message body; throws <see cref="JsonException"/> when it is not a complete envelope.</summary>
    public static EventEnvelope FromUtf8Json(ReadOnlySpan<byte> body)
    {
        var envelope = JsonSerializer.Deserialize(body, EventJsonContext.Default.EventEnvelope)
            ?? throw new JsonException("The event body is null.");
        if (string.IsNullOrEmpty(envelope.EventId) || string.IsNullOrEmpty(envelope.EventType))
        {
            throw new JsonException("The event has no event_id or event_type.");
        }

        return envelope;
    }
}

[JsonSerializable(typeof(EventEnvelope))]
[JsonSourceGenerationOptions(RespectRequiredConstructorParameters = true)]
internal sealed partial class EventJsonContext : JsonSerializerContext;
