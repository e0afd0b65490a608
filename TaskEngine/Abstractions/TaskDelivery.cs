using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// A delivered message copied out of the client library's buffers (which are only valid during the callback):
/// the properties a re-publish needs, the raw header table and body.
/// </summary>
internal sealed record TaskDelivery
{
    public required string Queue { get; init; }

    public required ulong DeliveryTag { get; init; }

    public bool Redelivered { get; init; }

    /// <summary>
    /// Whether another copy of this message may have run: the broker redelivered it, or a publish whose outcome was
    /// unknown (a lost confirm, a delay or retry of a possible duplicate, a replay) sent it again. Only such a
    /// message checks for a stored SUCCESS before running and before sending its children.
    /// </summary>
    public bool PossibleDuplicate =>
        Redelivered || (Headers is { } headers && headers.TryGetValue(MessageHeaders.PossibleDuplicate, out var mark) && mark is true);

    /// <summary>
    /// How many earlier deliveries of this message ended without an ack (a quorum queue's <c>x-delivery-count</c>; 0 on
    /// a classic queue, which does not count them).
    /// </summary>
    public long DeliveryCount { get; init; }

    /// <summary>Whether a worker already sent <c>task-received</c> for this message before it parked it in a delay queue.</summary>
    public bool ReceivedAnnounced =>
        Headers is { } headers && headers.TryGetValue(MessageHeaders.ReceivedAnnounced, out var mark) && mark is true;

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
