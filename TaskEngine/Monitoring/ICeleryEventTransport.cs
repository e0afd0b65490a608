using System.Threading.Channels;

namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// The broker seam of Celery's event stream: publishing event bodies to the fleet and receiving them
/// (<c>RabbitMq/RabbitMqEventTransport</c> in production).
/// </summary>
internal interface ICeleryEventTransport
{
    /// <summary>Publishes one event body (an object, or an array of task events on <c>task.multi</c>), best effort.</summary>
    Task PublishAsync(string hostname, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// Starts receiving the events whose routing key matches <paramref name="routingKey"/> into <paramref name="sink"/>
    /// until the returned receiver is disposed or closes.
    /// </summary>
    Task<IEventReceiver> ReceiveAsync(string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> says the broker is away (the reader reconnects), not that the request was wrong.</summary>
    bool IsUnavailable(Exception exception);
}

/// <summary>A running subscription to the event stream.</summary>
internal interface IEventReceiver : IAsyncDisposable
{
    /// <summary>Whether events still arrive (false once the broker closed it).</summary>
    bool IsOpen { get; }
}
