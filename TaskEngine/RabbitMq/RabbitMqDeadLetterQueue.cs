using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.RabbitMq;

internal sealed class RabbitMqDeadLetterQueue(RabbitMqBroker broker) : IDeadLetterQueue
{
    public Task<uint> CountAsync(CancellationToken cancellationToken = default) => broker.DeadLetterCountAsync(cancellationToken);

    public Task<int> ReplayAsync(int maxMessages = int.MaxValue, CancellationToken cancellationToken = default) =>
        broker.ReplayDeadLettersAsync(maxMessages, cancellationToken);
}
