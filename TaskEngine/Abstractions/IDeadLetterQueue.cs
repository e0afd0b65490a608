namespace Onboarding.TaskEngine.Abstractions;

/// <summary>The dead-letter queue where unprocessable messages land with their reason in headers.</summary>
public interface IDeadLetterQueue
{
    /// <summary>The number of messages waiting in the dead-letter queue.</summary>
    Task<uint> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Moves up to <paramref name="maxMessages"/> dead-lettered messages back to the queue they came from
    /// (header <c>x-original-queue</c>), with the dead-letter headers removed. Returns how many moved.
    /// </summary>
    Task<int> ReplayAsync(int maxMessages = int.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads up to <paramref name="maxMessages"/> dead letters from the head of the queue without removing them:
    /// they stay where they were, in their order.
    /// </summary>
    Task<IReadOnlyList<DeadLetter>> ListAsync(int maxMessages = 100, CancellationToken cancellationToken = default);

    /// <summary>Replays the dead letters the selector matches, as <see cref="ReplayAsync(int, CancellationToken)"/> does; the others stay.</summary>
    Task<int> ReplayAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default);

    /// <summary>Deletes the dead letters the selector matches for good; the others stay. Returns how many went.</summary>
    Task<int> DiscardAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default);
}
