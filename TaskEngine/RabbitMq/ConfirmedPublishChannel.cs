using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// One publisher-confirmed channel, opened on first use and reopened when the broker closed it, with the engine's
/// publish retry: a closed channel or connection is retried (automatic recovery brings them back); a nack or a
/// returned message throws. Task publishing and event publishing share this.
/// </summary>
internal sealed class ConfirmedPublishChannel(
    IConnection connection,
    int publishRetries,
    TimeProvider timeProvider,
    ILogger logger,
    Func<IChannel, CancellationToken, Task>? onOpened = null) : IAsyncDisposable
{
    private const int MaxOutstandingConfirms = 4096;

    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;

    public async Task PublishAsync(
        string exchange, string routingKey, bool mandatory, BasicProperties properties, ReadOnlyMemory<byte> body,
        CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var channel = await GetAsync(cancellationToken).ConfigureAwait(false);
                await channel.BasicPublishAsync(exchange, routingKey, mandatory, properties, body, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt <= publishRetries && ex is AlreadyClosedException or OperationInterruptedException)
            {
                TaskEngineLog.PublishRetry(logger, ex, exchange.Length == 0 ? routingKey : exchange, attempt);
                // 100 ms, 200 ms, 400 ms … capped at 2 s: long enough to span a connection recovery.
                var backoff = TimeSpan.FromMilliseconds(Math.Min(2000, 100 * (1 << Math.Min(attempt - 1, 5))));
                await Task.Delay(backoff, timeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<IChannel> GetAsync(CancellationToken cancellationToken)
    {
        var channel = _channel;
        if (channel is { IsOpen: true })
        {
            return channel;
        }

        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true })
            {
                return _channel;
            }

            if (_channel is not null)
            {
                await _channel.DisposeAsync().ConfigureAwait(false);
            }

            // Our own limiter on outstanding confirms: the library's default throttles (sleeps) once half of 128
            // permits are in use, which caps concurrent senders far below what one channel can carry.
            var opened = await connection.CreateChannelAsync(
                new CreateChannelOptions(
                    publisherConfirmationsEnabled: true,
                    publisherConfirmationTrackingEnabled: true,
                    outstandingPublisherConfirmationsRateLimiter: new ConcurrencyLimiter(new ConcurrencyLimiterOptions
                    {
                        PermitLimit = MaxOutstandingConfirms,
                        QueueLimit = int.MaxValue,
                    })),
                cancellationToken).ConfigureAwait(false);
            if (onOpened is not null)
            {
                await onOpened(opened, cancellationToken).ConfigureAwait(false);
            }

            _channel = opened;
            return opened;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Closes the channel as a broker-side close would (tests of the reopen path).</summary>
    public async Task CloseForTestsAsync()
    {
        if (_channel is not null)
        {
            await _channel.CloseAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _lock.Dispose();
    }
}
