namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// The broker seam on the consuming side: what the worker asks of a broker to receive task messages
/// (<c>RabbitMq/RabbitMqTaskConsumer</c> in production). The worker owns the queues, the execution loops and the
/// drain; the consumer owns channels, consumers, prefetch and the connection.
/// </summary>
internal interface ITaskConsumer
{
    /// <summary>Whether the broker connection is up.</summary>
    bool IsConnected { get; }

    /// <summary>
    /// Opens a consuming session: deliveries of the queues it consumes go to <paramref name="onDelivery"/> with the
    /// session's settler, at most <paramref name="prefetch"/> unsettled per queue.
    /// </summary>
    Task<IConsumerSession> OpenAsync(ushort prefetch, Func<TaskDelivery, IDeliverySettler, Task> onDelivery, CancellationToken cancellationToken);

    /// <summary>
    /// Watches the connection until <paramref name="stoppingToken"/> fires: reports its losses and recoveries, and
    /// moves to the dead-letter queue the messages of <paramref name="queues"/> that the client cannot read.
    /// </summary>
    Task WatchConnectionAsync(IReadOnlyList<string> queues, int scanLimit, CancellationToken stoppingToken);

    /// <summary>Whether <paramref name="exception"/> says the connection or channel is away for now (try again shortly).</summary>
    bool IsUnavailable(Exception exception);
}

/// <summary>A consuming session (one channel): its consumers, its prefetch, its settler.</summary>
internal interface IConsumerSession : IAsyncDisposable
{
    bool IsOpen { get; }

    /// <summary>Completes when the broker closed the session for a reason that recovery does not heal.</summary>
    Task Closed { get; }

    /// <summary>Settles the session's deliveries.</summary>
    IDeliverySettler Settler { get; }

    /// <summary>Starts a consumer on <paramref name="queue"/>.</summary>
    Task ConsumeAsync(string queue, CancellationToken cancellationToken);

    /// <summary>Stops consuming <paramref name="queue"/>; deliveries already made stay the session's until settled.</summary>
    Task CancelAsync(string queue, CancellationToken cancellationToken);

    /// <summary>Changes the per-consumer prefetch, re-registering each consumer so that it applies.</summary>
    Task SetPrefetchAsync(ushort prefetch, CancellationToken cancellationToken);

    /// <summary>Stops every consumer (shutdown); a session already gone is fine.</summary>
    Task CancelAllAsync();

    /// <summary>Closes the session; its unsettled deliveries go back to their queues.</summary>
    Task CloseAsync();
}

/// <summary>Settles a session's deliveries: acks (which may be coalesced), and nacks or immediate acks.</summary>
internal interface IDeliverySettler
{
    /// <summary>Records a delivery the session handed out (no ack may cover it before it is settled).</summary>
    void Delivered(ulong tag);

    /// <summary>Acks a finished delivery, possibly together with others shortly after.</summary>
    Task AckAsync(ulong tag);

    /// <summary>Acks (<paramref name="requeue"/> null) or nacks one delivery at once.</summary>
    Task SettleNowAsync(ulong tag, bool? requeue);

    /// <summary>Sends every waiting ack.</summary>
    Task FlushAsync();
}
