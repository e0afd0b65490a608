using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Redis;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// The worker: one channel, one consumer per queue, per-consumer prefetch (global=false) of
/// concurrency × multiplier, <c>Concurrency</c> execution loops, ack after the result is stored.
/// Shutdown: cancel the consumers, requeue what has not started, give running tasks the grace period, then
/// cancel their tokens and requeue them too. A SIGKILL loses nothing: unacked messages are redelivered.
/// </summary>
internal sealed class TaskWorkerService(
    RabbitMqBroker broker,
    TaskExecutor executor,
    RunningTasks running,
    RedisResultBackend backend,
    RevocationCache revocations,
    UnreadableMessageRescue rescue,
    IOptions<TaskWorkerOptions> options,
    IOptions<Events.EventOptions> eventOptions,
    TimeProvider timeProvider,
    ILogger<TaskWorkerService> logger,
    Events.EventSubscriptions? eventSubscriptions = null) : BackgroundService
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    /// <summary>While the worker waits for Redis at start, one log line per this interval.</summary>
    internal static readonly TimeSpan RedisWaitLogInterval = TimeSpan.FromSeconds(10);

    private readonly TaskWorkerOptions _options = options.Value;
    private readonly CancellationTokenSource _abort = new();
    private readonly Channel<WorkItem> _buffer = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Channel<bool> _rescueRequests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile bool _draining;

    /// <summary>Signals that the consumers are up (for tests and health).</summary>
    public Task Started => _started.Task;

    /// <summary>Signals that shutdown began: consumers cancelled, unstarted messages being requeued.</summary>
    public Task Draining => _drainingSignal.Task;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drainingSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queues = _options.GetQueues();
        await broker.DeclareTopologyAsync(queues, stoppingToken).ConfigureAwait(false);
        try
        {
            await WaitForRedisAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped before Redis ever answered: nothing was consumed, nothing to drain.
            return;
        }

        var syncLoop = SyncRevocationsAsync(stoppingToken);

        var loops = new Task[_options.Concurrency];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = LoopAsync();
        }

        var prefetch = (ushort)Math.Clamp(_options.Concurrency * _options.PrefetchMultiplier, 1, ushort.MaxValue);
        broker.Connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
        // The event consumer shares the connection: a message the client refuses there closes it for the worker too.
        IReadOnlyList<string> rescued = eventSubscriptions is not null && eventSubscriptions.Patterns.Any()
            ? [.. queues, eventOptions.Value.QueueName]
            : queues;
        var rescueLoop = RescueLoopAsync(rescued, prefetch + 64, stoppingToken);
        ChannelAcknowledger? acks = null;
        var consumerTags = new List<string>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    acks = await OpenConsumerChannelAsync(queues, prefetch, closed, consumerTags, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // The connection is recovering (or the channel failed while opening): try again shortly.
                    TaskEngineLog.ChannelShutdown(logger, ex.Message);
                    await Task.Delay(ErrorPause, timeProvider, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                TaskEngineLog.WorkerStarted(logger, string.Join(',', queues), _options.Concurrency, prefetch);
                _started.TrySetResult();
                await closed.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
                await acks.Channel.DisposeAsync().ConfigureAwait(false);
                acks = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        broker.Connection.ConnectionShutdownAsync -= OnConnectionShutdownAsync;
        _rescueRequests.Writer.TryComplete();
        await rescueLoop.ConfigureAwait(false);
        await syncLoop.ConfigureAwait(false);
        await DrainAsync(acks, consumerTags, loops).ConfigureAwait(false);
    }

    /// <summary>
    /// Subscribes to revocations and loads them, waiting as long as it takes for Redis to answer: a worker started
    /// before Redis (or while it restarts) stays up, reports unhealthy through the Redis health check, logs once per
    /// <see cref="RedisWaitLogInterval"/>, and starts consuming once Redis answers. Nothing is consumed before, since
    /// nothing could be stored.
    /// </summary>
    private async Task WaitForRedisAsync(CancellationToken stoppingToken)
    {
        var started = timeProvider.GetTimestamp();
        long? lastLog = null;
        var subscribed = false;
        while (true)
        {
            try
            {
                if (!subscribed)
                {
                    await backend.Subscriber.SubscribeAsync(backend.RevokeChannel, OnRevoke).ConfigureAwait(false);
                    subscribed = true;
                }

                await revocations.SyncAsync(stoppingToken).ConfigureAwait(false);
                if (lastLog is not null)
                {
                    TaskEngineLog.RedisAnswered(logger, timeProvider.GetElapsedTime(started));
                }

                return;
            }
            catch (Exception ex) when (ResultStoreRetry.IsTransient(ex) && !stoppingToken.IsCancellationRequested)
            {
                if (lastLog is not { } last || timeProvider.GetElapsedTime(last) >= RedisWaitLogInterval)
                {
                    TaskEngineLog.WaitingForRedis(logger, timeProvider.GetElapsedTime(started), ex.Message);
                    lastLog = timeProvider.GetTimestamp();
                }

                await Task.Delay(ErrorPause, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private Task OnConnectionShutdownAsync(object sender, ShutdownEventArgs args)
    {
        if (UnreadableMessageRescue.IsCausedByUnreadableHeaders(args) || UnreadableMessageRescue.IsCausedByTooLargeBody(args))
        {
            _rescueRequests.Writer.TryWrite(true);
        }

        return Task.CompletedTask;
    }

    private async Task SyncRevocationsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RevocationCache.SyncInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await revocations.SyncAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The cache reports itself stale and the check falls back to Redis.
                    TaskEngineLog.RevocationSyncFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Runs the raw-reader rescue each time the connection died on a header table it cannot parse.</summary>
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

    private async Task<ChannelAcknowledger> OpenConsumerChannelAsync(
        IReadOnlyList<string> queues, ushort prefetch, TaskCompletionSource closed, List<string> consumerTags,
        CancellationToken stoppingToken)
    {
        var channel = await broker.Connection.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
        try
        {
            channel.ChannelShutdownAsync += (_, args) =>
            {
                // Connection loss is healed by automatic recovery (consumers included); a channel-level
                // error is not, so the loop opens a new channel.
                if (args.Initiator != ShutdownInitiator.Application && broker.Connection.IsOpen)
                {
                    TaskEngineLog.ChannelShutdown(logger, args.ReplyText);
                    closed.TrySetResult();
                }

                return Task.CompletedTask;
            };
            await channel.BasicQosAsync(0, prefetch, global: false, stoppingToken).ConfigureAwait(false);
            // A quarter of the prefetch window waits for a multiple-ack at most, so the broker keeps delivering.
            var acks = new ChannelAcknowledger(channel, Math.Max(1, prefetch / 4));
            consumerTags.Clear();
            foreach (var queue in queues)
            {
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, args) => OnReceivedAsync(acks, queue, args);
                consumerTags.Add(await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false));
            }

            return acks;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DrainAsync(ChannelAcknowledger? acks, List<string> consumerTags, Task[] loops)
    {
        var channel = acks?.Channel;
        _draining = true;
        _drainingSignal.TrySetResult();
        TaskEngineLog.WorkerDraining(logger, running.Count, _options.ShutdownGracePeriod);
        if (channel is { IsOpen: true })
        {
            foreach (var tag in consumerTags)
            {
                try
                {
                    await channel.BasicCancelAsync(tag).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // The channel is gone; its unacked messages return to the queue anyway.
                }
            }
        }

        _buffer.Writer.TryComplete();
        var all = Task.WhenAll(loops);
        try
        {
            await all.WaitAsync(_options.ShutdownGracePeriod, timeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }

        using (var abandonedWait = new CancellationTokenSource(TimeSpan.FromSeconds(2), timeProvider))
        {
            await running.WaitForAbandonedAsync(abandonedWait.Token).ConfigureAwait(false);
        }

        await backend.Subscriber.UnsubscribeAsync(backend.RevokeChannel, OnRevoke).ConfigureAwait(false);
        if (acks is not null)
        {
            await acks.FlushAsync().ConfigureAwait(false);
        }

        if (channel is not null)
        {
            try
            {
                await channel.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
            {
                // Already closed.
            }

            await channel.DisposeAsync().ConfigureAwait(false);
        }

        TaskEngineLog.WorkerStopped(logger);
    }

    private async Task OnReceivedAsync(ChannelAcknowledger acks, string queue, BasicDeliverEventArgs args)
    {
        var properties = args.BasicProperties;
        var delivery = new TaskDelivery
        {
            Queue = queue,
            DeliveryTag = args.DeliveryTag,
            Redelivered = args.Redelivered,
            Body = args.Body.ToArray(),
            Headers = properties.Headers is null ? null : new Dictionary<string, object?>(properties.Headers, StringComparer.Ordinal),
            ContentType = properties.ContentType,
            ContentEncoding = properties.ContentEncoding,
            CorrelationId = properties.CorrelationId,
            ReplyTo = properties.ReplyTo,
            Priority = properties.Priority,
            MessageId = properties.MessageId,
            Timestamp = properties.IsTimestampPresent() ? DateTimeOffset.FromUnixTimeSeconds(properties.Timestamp.UnixTime) : null,
            ReceivedAt = timeProvider.GetUtcNow(),
        };

        acks.Delivered(delivery.DeliveryTag);
        if (_draining || !_buffer.Writer.TryWrite(new WorkItem(delivery, acks)))
        {
            await acks.SettleNowAsync(delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync()
    {
        await Task.Yield();
        var requeued = 0;
        await foreach (var item in _buffer.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_draining)
            {
                await item.Acks.SettleNowAsync(item.Delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
                requeued++;
                continue;
            }

            DeliveryOutcome outcome;
            try
            {
                outcome = await executor.ExecuteAsync(
                    item.Delivery, () => item.Acks.SettleNowAsync(item.Delivery.DeliveryTag, requeue: null), _abort.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Typically Redis or the broker being away: pause this slot briefly so that the requeued message
                // does not spin through the worker until they are back.
                TaskEngineLog.DeliveryError(logger, ex);
                outcome = DeliveryOutcome.Requeue;
                if (!_draining)
                {
                    try
                    {
                        await Task.Delay(ErrorPause, timeProvider, _abort.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // Shutting down: requeue now.
                    }
                }
            }

            if (outcome == DeliveryOutcome.Ack)
            {
                await item.Acks.AckAsync(item.Delivery.DeliveryTag).ConfigureAwait(false);
            }
            else if (outcome == DeliveryOutcome.Requeue)
            {
                await item.Acks.SettleNowAsync(item.Delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
            }
        }

        if (requeued > 0)
        {
            TaskEngineLog.Requeued(logger, requeued);
        }
    }

    /// <summary>Ack (requeue null) or nack; a closed channel means the broker already took the message back.</summary>
    private void OnRevoke(RedisChannel channel, RedisValue taskId)
    {
        if (taskId.HasValue)
        {
            var id = taskId.ToString();
            revocations.Add(id);
            running.Revoke(id);
        }
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    private sealed record WorkItem(TaskDelivery Delivery, ChannelAcknowledger Acks);
}
