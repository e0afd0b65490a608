using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// The worker: a consuming session (one channel, one consumer per queue, per-consumer prefetch of
/// concurrency × multiplier) from the broker's <see cref="ITaskConsumer"/>, <c>Concurrency</c> execution loops, ack
/// after the result is stored.
/// Shutdown: cancel the consumers, requeue what has not started, give running tasks the grace period, then
/// cancel their tokens and requeue them too. A SIGKILL loses nothing: unacked messages are redelivered.
/// </summary>
internal sealed class TaskWorkerService(
    ITaskBroker broker,
    ITaskConsumer consumer,
    TaskExecutor executor,
    RunningTasks running,
    IResultBackend backend,
    RevocationCache revocations,
    WorkerState state,
    IOptions<TaskWorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<TaskWorkerService> logger) : BackgroundService
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    /// <summary>While the worker waits for Redis at start, one log line per this interval.</summary>
    internal static readonly TimeSpan RedisWaitLogInterval = TimeSpan.FromSeconds(10);

    private readonly TaskWorkerOptions _options = options.Value;
    private readonly CancellationTokenSource _abort = new();
    private readonly Channel<WorkItem> _buffer = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleWriter = false });
    private volatile bool _draining;
    private Action<string>? _revokeHandler;

    // One delegate for subscribe and unsubscribe.
    private Action<string> RevokeHandler => _revokeHandler ??= OnRevoke;

    // Live changes from remote control: the queues consumed, the execution loops (concurrency) and the prefetch.
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _consumersLock = new(1, 1);
    private readonly List<string> _queues = [];
    private readonly List<Task> _loops = [];
    private IConsumerSession? _session;
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
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var watch = consumer.WatchConnectionAsync(queues, prefetch + 64, watching.Token);
        IConsumerSession? session = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    session = await OpenSessionAsync(prefetch, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (consumer.IsUnavailable(ex))
                {
                    // The connection is recovering (or the channel failed while opening): try again shortly.
                    TaskEngineLog.ChannelShutdown(logger, ex.Message);
                    await Task.Delay(ErrorPause, timeProvider, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                TaskEngineLog.WorkerStarted(logger, string.Join(',', Queues), Concurrency, prefetch);
                _started.TrySetResult();
                await session.Closed.WaitAsync(stoppingToken).ConfigureAwait(false);
                Volatile.Write(ref _session, null);
                await session.DisposeAsync().ConfigureAwait(false);
                session = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        await watching.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(false);
        await syncLoop.ConfigureAwait(false);
        await DrainAsync(session).ConfigureAwait(false);
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
    public bool IsConnectionOpen => consumer.IsConnected;

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

            // A session opened later consumes every queue of the list; an open one gets a consumer now.
            if (Volatile.Read(ref _session) is { IsOpen: true } session)
            {
                await session.ConsumeAsync(queue, cancellationToken).ConfigureAwait(false);
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

            if (Volatile.Read(ref _session) is { IsOpen: true } session)
            {
                // Messages already delivered from it stay ours until they are acked.
                await session.CancelAsync(queue, cancellationToken).ConfigureAwait(false);
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
            if (Volatile.Read(ref _session) is { IsOpen: true } session)
            {
                await session.SetPrefetchAsync(_prefetch, cancellationToken).ConfigureAwait(false);
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

                // Housekeeping, like the periodic sync below: no trace of its own (see UnrecordedScope).
                await UnrecordedScope.RunAsync(() => revocations.SyncAsync(stoppingToken)).ConfigureAwait(false);
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

    private async Task SyncRevocationsAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(RevocationCache.SyncInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    // Every 15 s on every worker: recorded, each sync would be a trace of its own on the dashboard.
                    await UnrecordedScope.RunAsync(() => revocations.SyncAsync(stoppingToken)).ConfigureAwait(false);
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

    private async Task<IConsumerSession> OpenSessionAsync(ushort prefetch, CancellationToken stoppingToken)
    {
        var session = await consumer.OpenAsync(prefetch, OnReceivedAsync, stoppingToken).ConfigureAwait(false);
        try
        {
            await _consumersLock.WaitAsync(stoppingToken).ConfigureAwait(false);
            try
            {
                foreach (var queue in Queues)
                {
                    await session.ConsumeAsync(queue, stoppingToken).ConfigureAwait(false);
                }

                Volatile.Write(ref _session, session);
            }
            finally
            {
                _consumersLock.Release();
            }

            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task DrainAsync(IConsumerSession? session)
    {
        Task[] loops;
        lock (_gate)
        {
            _draining = true;
            loops = [.. _loops];
        }

        _drainingSignal.TrySetResult();
        TaskEngineLog.WorkerDraining(logger, running.Count, _options.ShutdownGracePeriod);
        if (session is { IsOpen: true })
        {
            await session.CancelAllAsync().ConfigureAwait(false);
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
        if (session is not null)
        {
            await session.Settler.FlushAsync().ConfigureAwait(false);
            await session.CloseAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
        }

        TaskEngineLog.WorkerStopped(logger);
    }

    private async Task OnReceivedAsync(TaskDelivery delivery, IDeliverySettler acks)
    {
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

            try
            {
                if (outcome == DeliveryOutcome.AckNow)
                {
                    await item.Acks.AckAsync(item.Delivery.DeliveryTag).ConfigureAwait(false);
                }
                else if (outcome == DeliveryOutcome.Requeue)
                {
                    await item.Acks.SettleNowAsync(item.Delivery.DeliveryTag, requeue: true).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // A slot that died here would shrink the pool without a word; the delivery stays unacked, so the
                // broker hands it out again when the channel closes.
                TaskEngineLog.SettleFailed(logger, ex, item.Delivery.DeliveryTag);
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

    private sealed record WorkItem(TaskDelivery Delivery, IDeliverySettler Acks);
}
