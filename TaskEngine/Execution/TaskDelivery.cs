namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// A delivered message copied out of the client library's buffers (which are only valid during the callback):
/// the properties a re-publish needs, the raw header table and body.
/// </summary>
internal sealed record TaskDelivery
{
    public required string Queue { get; init; }

    public required ulong DeliveryTag { get; init; }

    public bool Redelivered { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }

    public IDictionary<string, object?>? Headers { get; init; }

    public string? ContentType { get; init; }

    public string? ContentEncoding { get; init; }

    public string? CorrelationId { get; init; }

    public string? ReplyTo { get; init; }

    public byte Priority { get; init; }

    public string? MessageId { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    /// <summary>When the worker took the message from the broker.</summary>
    public DateTimeOffset ReceivedAt { get; init; }
}
