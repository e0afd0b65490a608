using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Events;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// The worker's consuming side on RabbitMQ: one channel per session, a consumer per queue, per-consumer prefetch
/// (global=false), acks coalesced by <see cref="ChannelAcknowledger"/>; the connection's losses and recoveries logged,
/// and the messages the client refuses (unreadable headers, too large) rescued to the dead-letter queue.
/// </summary>
internal sealed class RabbitMqTaskConsumer(
    RabbitMqBroker broker,
    UnreadableMessageRescue rescue,
    IOptions<EventOptions> eventOptions,
    TimeProvider timeProvider,
    ILogger<RabbitMqTaskConsumer> logger,
    EventSubscriptions? eventSubscriptions = null) : ITaskConsumer
{
    private readonly Channel<bool> _rescueRequests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public bool IsConnected => broker.Connection.IsOpen;

    public bool IsUnavailable(Exception exception) => exception is AlreadyClosedException or OperationInterruptedException;

    public async Task<IConsumerSession> OpenAsync(
        ushort prefetch, Func<TaskDelivery, IDeliverySettler, Task> onDelivery, CancellationToken cancellationToken)
    {
        var channel = await broker.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            var session = new Session(channel, prefetch, onDelivery, timeProvider, logger);
            channel.ChannelShutdownAsync += (_, args) =>
            {
                // Connection loss is healed by automatic recovery (consumers included); a channel-level
                // error is not, so the worker opens a new session.
                if (args.Initiator != ShutdownInitiator.Application && broker.Connection.IsOpen)
                {
                    TaskEngineLog.ChannelShutdown(logger, args.ReplyText);
                    session.SetClosed();
                }

                return Task.CompletedTask;
            };
            await channel.BasicQosAsync(0, prefetch, global: false, cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task WatchConnectionAsync(IReadOnlyList<string> queues, int scanLimit, CancellationToken stoppingToken)
    {
        var connection = broker.Connection;
        connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
        connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
        connection.ConnectionBlockedAsync += OnConnectionBlockedAsync;
        connection.ConnectionUnblockedAsync += OnConnectionUnblockedAsync;
        try
        {
            // The event consumer shares the connection: a message the client refuses there closes it for the worker too.
            IReadOnlyList<string> rescued = eventSubscriptions is not null && eventSubscriptions.Patterns.Any()
                ? [.. queues, eventOptions.Value.QueueName]
                : queues;
            await RescueLoopAsync(rescued, scanLimit, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            connection.ConnectionShutdownAsync -= OnConnectionShutdownAsync;
            connection.RecoverySucceededAsync -= OnRecoverySucceededAsync;
            connection.ConnectionRecoveryErrorAsync -= OnRecoveryErrorAsync;
            connection.ConnectionBlockedAsync -= OnConnectionBlockedAsync;
            connection.ConnectionUnblockedAsync -= OnConnectionUnblockedAsync;
        }
    }

    /// <summary>Runs the raw-reader rescue each time the connection died on a message the client cannot read.</summary>
    private async Task RescueLoopAsync(IReadOnlyList<string> queues, int scanLimit, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in _rescueRequests.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await rescue.RescueAsync(queues, scanLimit, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    TaskEngineLog.RescueFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (args.Initiator != ShutdownInitiator.Application)
        {
            // Said here because nothing else would: the consumer channel's own handler stays quiet while recovery heals it.
            TaskEngineLog.BrokerConnectionLost(logger, args.Initiator.ToString(), args.ReplyText);
        }

        if (UnreadableMessageRescue.IsCausedByUnreadableHeaders(args) || UnreadableMessageRescue.IsCausedByTooLargeBody(args))
        {
            _rescueRequests.Writer.TryWrite(true);
        }

        return Task.CompletedTask;
    }

    // A worker whose deliveries stop (every prefetched task done, nothing new) otherwise shows no cause in its log.
    private Task OnRecoverySucceededAsync(object sender, AsyncEventArgs args)
    {
        TaskEngineLog.BrokerConnectionRecovered(logger);
        return Task.CompletedTask;
    }

    private Task OnRecoveryErrorAsync(object sender, ConnectionRecoveryErrorEventArgs args)
    {
        TaskEngineLog.BrokerRecoveryFailed(logger, args.Exception);
        return Task.CompletedTask;
    }

    private Task OnConnectionBlockedAsync(object sender, ConnectionBlockedEventArgs args)
    {
        TaskEngineLog.BrokerConnectionBlocked(logger, args.Reason);
        return Task.CompletedTask;
    }

    private Task OnConnectionUnblockedAsync(object sender, AsyncEventArgs args)
    {
        TaskEngineLog.BrokerConnectionUnblocked(logger);
        return Task.CompletedTask;
    }

    /// <summary>One consumer channel: a consumer per queue, the acknowledger of its deliveries.</summary>
    private sealed class Session : IConsumerSession
    {
        private readonly IChannel _channel;
        private readonly Func<TaskDelivery, IDeliverySettler, Task> _onDelivery;
        private readonly TimeProvider _timeProvider;
        private readonly ChannelAcknowledger _acks;
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Dictionary<string, string> _consumerTags = new(StringComparer.Ordinal);

        public Session(IChannel channel, ushort prefetch, Func<TaskDelivery, IDeliverySettler, Task> onDelivery, TimeProvider timeProvider, ILogger logger)
        {
            _channel = channel;
            _onDelivery = onDelivery;
            _timeProvider = timeProvider;
            // A quarter of the prefetch window waits for a multiple-ack at most, so the broker keeps delivering.
            _acks = new ChannelAcknowledger(channel, Math.Max(1, prefetch / 4), logger);
        }

        public bool IsOpen => _channel.IsOpen;

        public Task Closed => _closed.Task;

        public IDeliverySettler Settler => _acks;

        public void SetClosed() => _closed.TrySetResult();

        public async Task ConsumeAsync(string queue, CancellationToken cancellationToken)
        {
            var consumer = new AsyncEventingBasicConsumer(_channel);
            consumer.ReceivedAsync += (_, args) => _onDelivery(
                AmqpDelivery.ToTaskDelivery(queue, args.DeliveryTag, args.Redelivered, args.BasicProperties, args.Body, _timeProvider.GetUtcNow()),
                _acks);
            _consumerTags[queue] = await _channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
        }

        public async Task CancelAsync(string queue, CancellationToken cancellationToken)
        {
            if (_consumerTags.Remove(queue, out var tag))
            {
                await _channel.BasicCancelAsync(tag, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task SetPrefetchAsync(ushort prefetch, CancellationToken cancellationToken)
        {
            // basic.qos with global=false applies to consumers created after it: re-register each consumer.
            // Unacked deliveries belong to the channel, so they stay valid across the swap.
            await _channel.BasicQosAsync(0, prefetch, global: false, cancellationToken).ConfigureAwait(false);
            foreach (var queue in _consumerTags.Keys.ToList())
            {
                await CancelAsync(queue, cancellationToken).ConfigureAwait(false);
                await ConsumeAsync(queue, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task CancelAllAsync()
        {
            foreach (var tag in _consumerTags.Values)
            {
                try
                {
                    await _channel.BasicCancelAsync(tag).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // The channel is gone; its unacked messages return to the queue anyway.
                }
            }
        }

        public async Task CloseAsync()
        {
            try
            {
                await _channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
            {
                // Already closed.
            }
        }

        public ValueTask DisposeAsync() => _channel.DisposeAsync();
    }
}
