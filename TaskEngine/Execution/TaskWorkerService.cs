using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

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
    IResultBackend backend,
    RevocationCache revocations,
    UnreadableMessageRescue rescue,
    WorkerState state,
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
    private Action<string>? _revokeHandler;

    // One delegate for subscribe and unsubscribe.
    private Action<string> RevokeHandler => _revokeHandler ??= OnRevoke;

    // Live changes from remote control: the queues consumed, the execution loops (concurrency) and the prefetch.
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _consumersLock = new(1, 1);
    private readonly List<string> _queues = [];
    private readonly Dictionary<string, string> _consumerTags = new(StringComparer.Ordinal);
    private readonly List<Task> _loops = [];
    private ChannelAcknowledger? _acks;
    private int _concurrency;
    private int _retiring;
    private ushort _prefetch;

    /// <summary>Signals that the consumers are up (for tests and health).</summary>
    public Task Started => _started.Task;

    /// <summary>Signals that shutdown began: consumers cancelled, unstarted messages being requeued.</summary>
    public Task Draining => _drainingSignal.Task;

    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _drainingSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queues = _options.GetQueues();
        lock (_gate)
        {
            _queues.AddRange(queues);
            _concurrency = _options.Concurrency;
        }

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

        lock (_gate)
        {
            for (var i = 0; i < _options.Concurrency; i++)
            {
                _loops.Add(LoopAsync());
            }
        }

        var prefetch = _prefetch = PrefetchFor(_options.Concurrency);
        broker.Connection.ConnectionShutdownAsync += OnConnectionShutdownAsync;
        broker.Connection.RecoverySucceededAsync += OnRecoverySucceededAsync;
        broker.Connection.ConnectionRecoveryErrorAsync += OnRecoveryErrorAsync;
        broker.Connection.ConnectionBlockedAsync += OnConnectionBlockedAsync;
        broker.Connection.ConnectionUnblockedAsync += OnConnectionUnblockedAsync;
        // The event consumer shares the connection: a message the client refuses there closes it for the worker too.
        IReadOnlyList<string> rescued = eventSubscriptions is not null && eventSubscriptions.Patterns.Any()
            ? [.. queues, eventOptions.Value.QueueName]
            : queues;
        var rescueLoop = RescueLoopAsync(rescued, prefetch + 64, stoppingToken);
        ChannelAcknowledger? acks = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                try
                {
                    acks = await OpenConsumerChannelAsync(prefetch, closed, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
                {
                    // The connection is recovering (or the channel failed while opening): try again shortly.
                    TaskEngineLog.ChannelShutdown(logger, ex.Message);
                    await Task.Delay(ErrorPause, timeProvider, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                TaskEngineLog.WorkerStarted(logger, string.Join(',', Queues), Concurrency, prefetch);
                _started.TrySetResult();
                await closed.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
                Volatile.Write(ref _acks, null);
                await acks.Channel.DisposeAsync().ConfigureAwait(false);
                acks = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        broker.Connection.ConnectionShutdownAsync -= OnConnectionShutdownAsync;
        broker.Connection.RecoverySucceededAsync -= OnRecoverySucceededAsync;
        broker.Connection.ConnectionRecoveryErrorAsync -= OnRecoveryErrorAsync;
        broker.Connection.ConnectionBlockedAsync -= OnConnectionBlockedAsync;
        broker.Connection.ConnectionUnblockedAsync -= OnConnectionUnblockedAsync;
        _rescueRequests.Writer.TryComplete();
        await rescueLoop.ConfigureAwait(false);
        await syncLoop.ConfigureAwait(false);
        await DrainAsync(acks).ConfigureAwait(false);
    }

    /// <summary>The queues consumed now.</summary>
    public IReadOnlyList<string> Queues
    {
        get
        {
            lock (_gate)
            {
                return [.. _queues];
            }
        }
    }

    /// <summary>Whether the broker connection is up (a channel closed meanwhile is the broker's doing).</summary>
    public bool IsConnectionOpen => broker.Connection.IsOpen;

    /// <summary>Tasks run at once now.</summary>
    public int Concurrency => Volatile.Read(ref _concurrency);

    /// <summary>The per-consumer prefetch now.</summary>
    public ushort Prefetch => _prefetch;

    /// <summary>
    /// Starts consuming a queue (declared first), as remote control's <c>add_consumer</c>; false when already consumed.
    /// </summary>
    public async Task<bool> AddQueueAsync(string queue, CancellationToken cancellationToken)
    {
        await _consumersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_queues.Contains(queue, StringComparer.Ordinal) || _draining)
                {
                    return false;
                }
            }

            await broker.DeclareTopologyAsync([queue], cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _queues.Add(queue);
            }

            // A channel opened later consumes every queue of the list; an open one gets a consumer now.
            if (Volatile.Read(ref _acks) is { Channel.IsOpen: true } acks)
            {
                await ConsumeAsync(acks, queue, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        finally
        {
            _consumersLock.Release();
        }
    }

    /// <summary>Stops consuming a queue, as remote control's <c>cancel_consumer</c>; false when it was not consumed.</summary>
    public async Task<bool> CancelQueueAsync(string queue, CancellationToken cancellationToken)
    {
        await _consumersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (!_queues.Remove(queue))
                {
                    return false;
                }
            }

            if (Volatile.Read(ref _acks) is { Channel.IsOpen: true } acks && _consumerTags.Remove(queue, out var tag))
            {
                // Messages already delivered from it stay ours until they are acked.
                await acks.Channel.BasicCancelAsync(tag, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return true;
        }
        finally
        {
            _consumersLock.Release();
        }
    }

    /// <summary>
    /// Changes how many tasks run at once by <paramref name="delta"/> (remote control's <c>pool_grow</c> and
    /// <c>pool_shrink</c>; never below one) and the prefetch with it. Returns the new concurrency. A loop asked to
    /// retire finishes the task it runs first; the consumers are re-registered so that the new prefetch applies.
    /// </summary>
    public async Task<int> ResizeAsync(int delta, CancellationToken cancellationToken)
    {
        int concurrency;
        lock (_gate)
        {
            if (_draining)
            {
                return _concurrency;
            }

            concurrency = Math.Clamp(_concurrency + delta, 1, 10_000);
            var change = concurrency - _concurrency;
            for (var i = 0; i < change; i++)
            {
                _loops.Add(LoopAsync());
            }

            if (change < 0)
            {
                Interlocked.Add(ref _retiring, -change);
            }

            _concurrency = concurrency;
        }

        await _consumersLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _prefetch = PrefetchFor(concurrency);
            if (Volatile.Read(ref _acks) is { Channel.IsOpen: true } acks)
            {
                // basic.qos with global=false applies to consumers created after it: re-register each consumer.
                // Unacked deliveries belong to the channel, so they stay valid across the swap.
                await acks.Channel.BasicQosAsync(0, _prefetch, global: false, cancellationToken).ConfigureAwait(false);
                foreach (var queue in Queues)
                {
                    if (_consumerTags.Remove(queue, out var tag))
                    {
                        await acks.Channel.BasicCancelAsync(tag, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }

                    await ConsumeAsync(acks, queue, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _consumersLock.Release();
        }

        TaskEngineLog.WorkerStarted(logger, string.Join(',', Queues), concurrency, _prefetch);
        return concurrency;
    }

    private bool TryRetire()
    {
        int current;
        while ((current = Volatile.Read(ref _retiring)) > 0)
        {
            if (Interlocked.CompareExchange(ref _retiring, current - 1, current) == current)
            {
                return true;
            }
        }

        return false;
    }

    private ushort PrefetchFor(int concurrency) => (ushort)Math.Clamp(concurrency * _options.PrefetchMultiplier, 1, ushort.MaxValue);

    private async Task ConsumeAsync(ChannelAcknowledger acks, string queue, CancellationToken cancellationToken)
    {
        var consumer = new AsyncEventingBasicConsumer(acks.Channel);
        consumer.ReceivedAsync += (_, args) => OnReceivedAsync(acks, queue, args);
        _consumerTags[queue] = await acks.Channel.BasicConsumeAsync(queue, autoAck: false, consumer, cancellationToken).ConfigureAwait(false);
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
                    await backend.SubscribeRevocationsAsync(RevokeHandler).ConfigureAwait(false);
                    subscribed = true;
                }

                await revocations.SyncAsync(stoppingToken).ConfigureAwait(false);
                if (lastLog is not null)
                {
                    TaskEngineLog.RedisAnswered(logger, timeProvider.GetElapsedTime(started));
                }

                return;
            }
            catch (Exception ex) when (backend.IsTransient(ex) && !stoppingToken.IsCancellationRequested)
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

    private async Task<ChannelAcknowledger> OpenConsumerChannelAsync(ushort prefetch, TaskCompletionSource closed, CancellationToken stoppingToken)
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
            await _consumersLock.WaitAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                _consumerTags.Clear();
                foreach (var queue in Queues)
                {
                    await ConsumeAsync(acks, queue, stoppingToken).ConfigureAwait(false);
                }

                Volatile.Write(ref _acks, acks);
            }
            finally
            {
                _consumersLock.Release();
            }

            return acks;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DrainAsync(ChannelAcknowledger? acks)
    {
        var channel = acks?.Channel;
        Task[] loops;
        lock (_gate)
        {
            _draining = true;
            loops = [.. _loops];
        }

        _drainingSignal.TrySetResult();
        TaskEngineLog.WorkerDraining(logger, running.Count, _options.ShutdownGracePeriod);
        if (channel is { IsOpen: true })
        {
            foreach (var tag in _consumerTags.Values)
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

        await backend.UnsubscribeRevocationsAsync(RevokeHandler).ConfigureAwait(false);
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
        var delivery = AmqpDelivery.ToTaskDelivery(
            queue, args.DeliveryTag, args.Redelivered, args.BasicProperties, args.Body, timeProvider.GetUtcNow());

        acks.Delivered(delivery.DeliveryTag);
        state.Reserve(delivery);
        if (_draining || !_buffer.Writer.TryWrite(new WorkItem(delivery, acks)))
        {
            state.Unreserve(delivery);
            await acks.SettleNowAsync(delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync()
    {
        await Task.Yield();
        var requeued = 0;
        await foreach (var item in _buffer.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (TryRetire())
            {
                // pool_shrink: this loop ends; the item goes back for another loop (the buffer is unbounded).
                if (!_buffer.Writer.TryWrite(item))
                {
                    state.Unreserve(item.Delivery);
                    await item.Acks.SettleNowAsync(item.Delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
                }

                break;
            }

            state.Unreserve(item.Delivery);
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

            if (outcome == DeliveryOutcome.AckNow)
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
    private void OnRevoke(string taskId)
    {
        revocations.Add(taskId);
        running.Revoke(taskId);
    }

    public override void Dispose()
    {
        _abort.Dispose();
        base.Dispose();
    }

    private sealed record WorkItem(TaskDelivery Delivery, ChannelAcknowledger Acks);
}
