using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.Tests.TaskEngine.InMemory;

/// <summary>
/// A broker in memory, for unit tests of the engine's decisions only (never a transport for applications): messages
/// are encoded to the same headers and body as on RabbitMQ, held until their ETA on the given clock (as the delay
/// queues hold them), handed out as deliveries with tags, and dead-lettered with the reason in headers.
/// </summary>
internal sealed class InMemoryBroker(TimeProvider timeProvider) : ITaskBroker
{
    private readonly Lock _gate = new();
    private readonly List<Held> _held = [];
    private readonly List<DeadLetterRecord> _deadLetters = [];
    private readonly List<(TaskMessage Message, string Queue)> _published = [];
    private ulong _nextTag;

    /// <summary>What a delivery became in the broker, by tag.</summary>
    public Dictionary<ulong, string> Settled { get; } = [];

    public TimeSpan MinDelay { get; } = TimeSpan.FromMilliseconds(16);

    /// <summary>
    /// Whether a message with an ETA ahead waits in the broker (as our delay queues keep it); false delivers it at once,
    /// as a queue gets a Python client's ETA message.
    /// </summary>
    public bool HoldsEtaMessages { get; set; } = true;

    public IReadOnlyList<DeadLetterRecord> DeadLetters
    {
        get
        {
            lock (_gate)
            {
                return [.. _deadLetters];
            }
        }
    }

    /// <summary>Every task message published, in order (retries and workflow steps included).</summary>
    public IReadOnlyList<(TaskMessage Message, string Queue)> Published
    {
        get
        {
            lock (_gate)
            {
                return [.. _published];
            }
        }
    }

    /// <summary>Messages in the broker (ready or waiting for their time) for a queue.</summary>
    public int Count(string queue)
    {
        lock (_gate)
        {
            return _held.Count(held => held.Queue == queue);
        }
    }

    public Task DeclareTopologyAsync(IEnumerable<string> queues, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task EnsureQueueAsync(string queue, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task PublishAsync(TaskMessage message, string queue, CancellationToken cancellationToken)
    {
        var encoded = TaskEnvelope.Encode(message);
        var now = timeProvider.GetUtcNow();
        var delivery = new TaskDelivery
        {
            Queue = queue,
            DeliveryTag = 0,
            Body = encoded.Body,
            Headers = new Dictionary<string, object?>(encoded.Headers, StringComparer.Ordinal),
            ContentType = TaskEnvelope.ContentType,
            ContentEncoding = TaskEnvelope.ContentEncoding,
            CorrelationId = message.Id,
            ReplyTo = message.ReplyTo,
            Priority = message.Priority,
            // Seconds only, as AMQP carries it.
            Timestamp = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()),
        };
        lock (_gate)
        {
            _published.Add((message, queue));
            _held.Add(new Held(queue, HoldsEtaMessages && message.Eta is { } eta && eta > now ? eta : now, delivery));
        }

        return Task.CompletedTask;
    }

    public Task DelayAsync(TaskDelivery delivery, TimeSpan remaining, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _held.Add(new Held(delivery.Queue, timeProvider.GetUtcNow() + remaining, delivery with { DeliveryTag = 0, Redelivered = false }));
        }

        return Task.CompletedTask;
    }

    public Task DeadLetterAsync(TaskDelivery delivery, string reason, string? exception, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _deadLetters.Add(new DeadLetterRecord(delivery.Queue, reason, exception, delivery.Body));
        }

        return Task.CompletedTask;
    }

    /// <summary>Adds raw bytes to a queue as a publisher that is not the engine could (malformed messages).</summary>
    public void PublishRaw(string queue, ReadOnlyMemory<byte> body, IDictionary<string, object?>? headers, string? contentType = TaskEnvelope.ContentType,
        string? correlationId = null)
    {
        lock (_gate)
        {
            _held.Add(new Held(queue, timeProvider.GetUtcNow(), new TaskDelivery
            {
                Queue = queue,
                DeliveryTag = 0,
                Body = body,
                Headers = headers,
                ContentType = contentType,
                ContentEncoding = "utf-8",
                CorrelationId = correlationId,
            }));
        }
    }

    /// <summary>Hands out the oldest message of <paramref name="queue"/> that is due now, with a fresh delivery tag.</summary>
    public bool TryReceive(string queue, out TaskDelivery delivery)
    {
        var now = timeProvider.GetUtcNow();
        lock (_gate)
        {
            var index = _held.FindIndex(held => held.Queue == queue && held.DueAt <= now);
            if (index < 0)
            {
                delivery = null!;
                return false;
            }

            var held = _held[index];
            _held.RemoveAt(index);
            delivery = held.Delivery with { DeliveryTag = ++_nextTag, ReceivedAt = now };
            return true;
        }
    }

    /// <summary>Settles a delivery: acked, or put back at the head of its queue as a redelivery.</summary>
    public void Settle(TaskDelivery delivery, bool requeue)
    {
        lock (_gate)
        {
            Settled[delivery.DeliveryTag] = requeue ? "requeued" : "acked";
            if (requeue)
            {
                _held.Insert(0, new Held(delivery.Queue, timeProvider.GetUtcNow(), delivery with { DeliveryTag = 0, Redelivered = true }));
            }
        }
    }

    private sealed record Held(string Queue, DateTimeOffset DueAt, TaskDelivery Delivery);
}

/// <summary>A message the in-memory broker dead-lettered.</summary>
internal sealed record DeadLetterRecord(string Queue, string Reason, string? Exception, ReadOnlyMemory<byte> Body);
