using System.Text.Json;

namespace Onboarding.TaskEngine.Control;

/// <summary>A queue a node consumes (<c>inspect active_queues</c>).</summary>
public sealed record QueueInfo
{
    /// <summary>The queue's name.</summary>
    public required string Name { get; init; }

    /// <summary>The exchange it is bound to (Celery's default exchange of a queue has the queue's name).</summary>
    public string? Exchange { get; init; }

    /// <summary>The exchange's type (<c>direct</c>, …).</summary>
    public string? ExchangeType { get; init; }

    /// <summary>The binding's routing key.</summary>
    public string? RoutingKey { get; init; }

    /// <summary>Whether the queue survives a broker restart.</summary>
    public bool Durable { get; init; }

    /// <summary>Whether the queue is deleted when its last consumer goes.</summary>
    public bool AutoDelete { get; init; }

    /// <summary>The whole queue description as sent (arguments, bindings, …).</summary>
    public JsonElement Raw { get; init; }
}
