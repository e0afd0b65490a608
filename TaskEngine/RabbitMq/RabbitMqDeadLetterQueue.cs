using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.RabbitMq;

internal sealed class RabbitMqDeadLetterQueue(RabbitMqBroker broker) : IDeadLetterQueue
{
    public Task<uint> CountAsync(CancellationToken cancellationToken = default) => broker.DeadLetterCountAsync(cancellationToken);

    public Task<int> ReplayAsync(int maxMessages = int.MaxValue, CancellationToken cancellationToken = default) =>
        broker.ReplayDeadLettersAsync(maxMessages, cancellationToken);

    public Task<IReadOnlyList<DeadLetter>> ListAsync(int maxMessages = 100, CancellationToken cancellationToken = default) =>
        broker.ListDeadLettersAsync(maxMessages, cancellationToken);

    public Task<int> ReplayAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default) =>
        broker.ReplayDeadLettersAsync(selector, int.MaxValue, cancellationToken);

    public Task<int> DiscardAsync(DeadLetterSelector selector, CancellationToken cancellationToken = default) =>
        broker.DiscardDeadLettersAsync(selector, cancellationToken);
}
