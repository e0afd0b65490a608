namespace Onboarding.TaskEngine.Abstractions;

/// <summary>The broker's queues as an operator sees them: whether one exists, what waits in it, emptying it.</summary>
public interface IBrokerQueues
{
    /// <summary>The queue's ready messages and consumers, or null when the broker has no queue of that name.</summary>
    Task<QueueStatus?> GetStatusAsync(string queue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes every ready message of the queue (unacknowledged ones, held by workers, stay) and returns how many went.
    /// Throws <see cref="QueueNotFoundException"/> when there is no such queue: a purge never creates one.
    /// </summary>
    Task<uint> PurgeAsync(string queue, CancellationToken cancellationToken = default);
}

/// <summary>A queue's state at one moment.</summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Messages">Messages ready for delivery (not those delivered and not yet acknowledged).</param>
/// <param name="Consumers">Consumers attached: a queue with none is one nobody works on.</param>
public sealed record QueueStatus(string Name, uint Messages, uint Consumers);

/// <summary>The broker has no queue of the given name.</summary>
public sealed class QueueNotFoundException(string queue)
    : Exception($"There is no queue named '{queue}' on the broker.")
{
    public string Queue { get; } = queue;
}
