namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// The broker already has a queue of this name, declared differently from how the engine declares it (another type,
/// or another delivery limit or dead-letter target): RabbitMQ refuses the declaration and cannot change a queue in place.
/// </summary>
public sealed class QueueMismatchException(string queue, string declaredType, string existingType, string message, Exception? innerException)
    : InvalidOperationException(message, innerException)
{
    /// <summary>The queue's name.</summary>
    public string Queue { get; } = queue;

    /// <summary>The type the engine declares it as: <c>classic</c> or <c>quorum</c>.</summary>
    public string DeclaredType { get; } = declaredType;

    /// <summary>The type it has on the broker (<c>classic</c>, <c>quorum</c>, <c>stream</c>).</summary>
    public string ExistingType { get; } = existingType;
}
