using System.Diagnostics;
using System.Threading.Channels;
using Onboarding.TaskEngine.Monitoring;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// The AMQP side of Celery's events: the <c>celeryev</c> topic exchange (durable), events published transient
/// (delivery mode 1) as JSON with a <c>hostname</c> header, and receivers' queues <c>celeryev.&lt;uuid&gt;</c> that
/// delete themselves (auto-delete, <c>x-message-ttl</c> 5 s, <c>x-expires</c> 60 s, as Celery's receivers declare them).
/// </summary>
internal sealed class RabbitMqEventTransport(RabbitMqBroker broker) : ICeleryEventTransport
{
    public const string Exchange = "celeryev";

    private const string TraceParentHeader = "traceparent";

    private static readonly Dictionary<string, object?> ReceiverQueueArguments = new()
    {
        ["x-message-ttl"] = 5_000,
        ["x-expires"] = 60_000,
    };

    private readonly SemaphoreSlim _lock = new(1, 1);
    private IChannel? _channel;
    private Dictionary<string, object?>? _headers;

    /// <summary>
    /// Publishes one event body (an object, or an array of task events on <c>task.multi</c>) on the sender's own
    /// channel, without publisher confirms: events are best effort, as in Celery.
    /// </summary>
    public async Task PublishAsync(string hostname, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is not { IsOpen: true })
            {
                if (_channel is not null)
                {
                    await _channel.DisposeAsync().ConfigureAwait(false);
                }

                _channel = await broker.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                await _channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }

            if (_headers is null || !Equals(_headers["hostname"], hostname))
            {
                _headers = new Dictionary<string, object?> { ["hostname"] = hostname };
            }

            // Events go out under an unrecorded parent (EventDispatcher), so the client's publish span is dropped and
            // injects no context. Carried explicitly with its "not sampled" flag, that parent makes a monitor's (the
            // console's) delivery span a dropped child as well, instead of a new trace for every heartbeat.
            if (Activity.Current is { Recorded: false, IdFormat: ActivityIdFormat.W3C } unrecorded)
            {
                _headers[TraceParentHeader] = unrecorded.Id;
            }
            else
            {
                _headers.Remove(TraceParentHeader);
            }

            var properties = RabbitMqMailbox.JsonProperties(DeliveryModes.Transient);
            properties.Headers = _headers;
            await _channel.BasicPublishAsync(Exchange, routingKey, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Binds a fresh receiver queue with <paramref name="routingKey"/> and writes every event body into
    /// <paramref name="sink"/> until the returned receiver (its channel) is disposed.
    /// </summary>
    public async Task<IEventReceiver> ReceiveAsync(string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink, CancellationToken cancellationToken)
    {
        var channel = await broker.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            var queue = "celeryev." + Guid.NewGuid().ToString("D");
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true, ReceiverQueueArguments,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(queue, Exchange, routingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, args) =>
            {
                sink.TryWrite(args.Body.ToArray());
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            return new ChannelReceiver(channel);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public bool IsUnavailable(Exception exception) =>
        exception is AlreadyClosedException or OperationInterruptedException or BrokerUnreachableException;

    private sealed class ChannelReceiver(IChannel channel) : IEventReceiver
    {
        public bool IsOpen => channel.IsOpen;

        public ValueTask DisposeAsync() => channel.DisposeAsync();
    }
}
