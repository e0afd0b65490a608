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
}
