using Onboarding.TaskEngine.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

internal sealed class RabbitMqBrokerQueues(IConnection connection) : IBrokerQueues
{
    private const ushort NotFound = 404;

    public async Task<QueueStatus?> GetStatusAsync(string queue, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        // A channel of its own: the broker closes the channel on which a passive declare names an unknown queue.
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var ok = await channel.QueueDeclarePassiveAsync(queue, cancellationToken).ConfigureAwait(false);
            return new QueueStatus(ok.QueueName, ok.MessageCount, ok.ConsumerCount);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == NotFound)
        {
            return null;
        }
    }

    public async Task<uint> PurgeAsync(string queue, CancellationToken cancellationToken = default)
    {
        // Checked first: purging an unknown queue is a channel error too, and a purge must never declare one.
        if (await GetStatusAsync(queue, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new QueueNotFoundException(queue);
        }

        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return await channel.QueuePurgeAsync(queue, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == NotFound)
        {
            // Deleted between the check and the purge.
            throw new QueueNotFoundException(queue);
        }
    }
}
