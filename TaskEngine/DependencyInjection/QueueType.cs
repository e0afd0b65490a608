namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>The RabbitMQ queue type of the engine's durable queues (<c>TaskEngine:QueueType</c>).</summary>
public enum QueueType
{
    /// <summary>A classic queue: on one node, what Celery 5.2 declares and consumes by default.</summary>
    Classic,

    /// <summary>
    /// A quorum queue: replicated across a cluster's nodes (Raft), with a delivery limit that dead-letters poison
    /// messages. Celery 5.2 workers cannot consume one (they ask for a global QoS, which it refuses).
    /// </summary>
    Quorum,
}
