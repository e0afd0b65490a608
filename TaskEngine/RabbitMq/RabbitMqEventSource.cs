using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Event subscriptions on RabbitMQ: a channel with <c>consumerDispatchConcurrency</c> handlers, the queue bound to the
/// topic exchange for every pattern, prefetch twice the concurrency, one ack or nack per delivery. A channel closed by
/// the broker (not by a connection loss, which recovery heals) is replaced once its running handlers are done.
/// </summary>
internal sealed class RabbitMqEventSource(
    RabbitMqBroker broker,
    IOptions<EventOptions> options,
    TimeProvider timeProvider,
    ILogger<RabbitMqEventSource> logger) : IEventSource
{
    private int _inFlight;

    public async Task ConsumeAsync(
        string queue,
        IReadOnlyCollection<string> patterns,
        int concurrency,
        Func<TaskDelivery, CancellationToken, Task<bool>> handle,
        Action started,
        CancellationToken stoppingToken)
    {
        var exchange = options.Value.Exchange;
        while (!stoppingToken.IsCancellationRequested)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var channel = await broker.Connection.CreateChannelAsync(
                new CreateChannelOptions(false, false, consumerDispatchConcurrency: (ushort)concurrency),
                stoppingToken).ConfigureAwait(false);
            await using (channel.ConfigureAwait(false))
            {
                channel.ChannelShutdownAsync += (_, args) =>
                {
                    // Connection loss is healed by automatic recovery; a channel-level error is not.
                    if (args.Initiator != ShutdownInitiator.Application && broker.Connection.IsOpen)
                    {
                        closed.TrySetResult();
                    }

                    return Task.CompletedTask;
                };
                await EventTopology.DeclareExchangeAsync(channel, exchange, stoppingToken).ConfigureAwait(false);
                foreach (var pattern in patterns)
                {
                    await channel.QueueBindAsync(queue, exchange, pattern, cancellationToken: stoppingToken).ConfigureAwait(false);
                }

                await channel.BasicQosAsync(0, (ushort)Math.Min(ushort.MaxValue, concurrency * 2), global: false, stoppingToken)
                    .ConfigureAwait(false);
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, args) => OnReceivedAsync(channel, queue, args, handle, stoppingToken);
                await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false);
                started();
                try
                {
                    await closed.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    // An ack sent after the channel closed makes the broker close the whole (shared) connection
                    // with CHANNEL_ERROR 504: let running handlers finish or give up before the channel goes.
                    await DrainAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task DrainAsync()
    {
        var deadline = timeProvider.GetUtcNow() + TimeSpan.FromSeconds(5);
        while (Volatile.Read(ref _inFlight) > 0 && timeProvider.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), timeProvider).ConfigureAwait(false);
        }
    }

    private async Task OnReceivedAsync(
        IChannel channel, string queue, BasicDeliverEventArgs args, Func<TaskDelivery, CancellationToken, Task<bool>> handle,
        CancellationToken stoppingToken)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            var delivery = AmqpDelivery.ToTaskDelivery(
                queue, args.DeliveryTag, args.Redelivered, args.BasicProperties, args.Body, timeProvider.GetUtcNow());
            try
            {
                var handled = await handle(delivery, stoppingToken).ConfigureAwait(false);
                if (channel.IsOpen)
                {
                    if (handled)
                    {
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: left unacked, so the broker redelivers it.
            }
            catch (Exception ex)
            {
                EventLog.DeliveryError(logger, ex);
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
