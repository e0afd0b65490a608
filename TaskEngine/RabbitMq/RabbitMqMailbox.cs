using System.Globalization;
using System.Text;
using Onboarding.TaskEngine.Control;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// The AMQP side of Celery's remote control (kombu's <c>Mailbox</c> with <c>type='fanout'</c>): commands go to the
/// <c>celery.pidbox</c> fanout exchange, each node consumes its own <c>&lt;node&gt;.celery.pidbox</c> queue (not durable,
/// auto-delete, <c>x-expires</c> 10 s and <c>x-message-ttl</c> 300 s, so a dead node's queue disappears), and replies
/// go to the <c>reply.celery.pidbox</c> direct exchange with the caller's routing key and the command's ticket.
/// Each listener and each client has a channel of its own, so control traffic never waits behind task traffic.
/// </summary>
internal sealed class RabbitMqMailbox(RabbitMqBroker broker) : IMailbox
{
    public const string Exchange = PidboxNames.Exchange;
    public const string ReplyExchange = PidboxNames.ReplyExchange;

    // Celery's control_queue_expires (10 s) and control_queue_ttl (300 s), for node and reply queues alike.
    private static readonly Dictionary<string, object?> QueueArguments = new()
    {
        ["x-expires"] = 10_000,
        ["x-message-ttl"] = 300_000,
    };

    public static string NodeQueue(string node) => PidboxNames.NodeQueue(node);

    public static string ReplyQueue(string oid) => PidboxNames.ReplyQueue(oid);

    /// <summary>Declares the node's queue, binds it to the fanout exchange and consumes it (no acks, as kombu's Node does).</summary>
    public Task<IMailboxConnection> ListenAsync(string node, Func<MailboxMessage, Task> onMessage, CancellationToken cancellationToken) =>
        ConsumeAsync(NodeQueue(node), Exchange, ExchangeType.Fanout, routingKey: string.Empty, onMessage, cancellationToken);

    /// <summary>Declares a caller's reply queue (bound with routing key <paramref name="oid"/>) and consumes it.</summary>
    public Task<IMailboxConnection> ListenForRepliesAsync(string oid, Func<MailboxMessage, Task> onReply, CancellationToken cancellationToken) =>
        ConsumeAsync(ReplyQueue(oid), ReplyExchange, ExchangeType.Direct, oid, onReply, cancellationToken);

    /// <summary>Sends a command to every node (kombu's <c>_publish</c>: headers <c>clock</c> and <c>expires</c>).</summary>
    public static async Task PublishCommandAsync(IChannel channel, ReadOnlyMemory<byte> body, long clock, double expires, CancellationToken cancellationToken)
    {
        var properties = JsonProperties(DeliveryModes.Persistent);
        properties.Headers = new Dictionary<string, object?> { ["clock"] = clock, ["expires"] = expires };
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: false, autoDelete: false, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await channel.BasicPublishAsync(Exchange, string.Empty, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a node's reply (kombu's <c>_publish_reply</c>: transient, headers <c>ticket</c> and <c>clock</c>).</summary>
    public static async Task PublishReplyAsync(
        IChannel channel, string exchange, string routingKey, string? ticket, long clock, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var properties = JsonProperties(DeliveryModes.Transient);
        properties.Headers = new Dictionary<string, object?> { ["ticket"] = ticket, ["clock"] = clock };
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Direct, durable: false, autoDelete: false, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        // Not mandatory: a caller that stopped waiting has no queue, and the reply is simply dropped.
        await channel.BasicPublishAsync(exchange, routingKey, mandatory: false, properties, body, cancellationToken).ConfigureAwait(false);
    }

    public bool IsUnavailable(Exception exception) => exception is AlreadyClosedException or OperationInterruptedException;

    private async Task<IMailboxConnection> ConsumeAsync(
        string queue, string exchange, string exchangeType, string routingKey, Func<MailboxMessage, Task> onMessage,
        CancellationToken cancellationToken)
    {
        var channel = await broker.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            await channel.ExchangeDeclareAsync(exchange, exchangeType, durable: false, autoDelete: false, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true, QueueArguments, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
            await channel.QueueBindAsync(queue, exchange, routingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, args) => onMessage(Read(args));
            var connection = new MailboxChannel(channel);
            channel.ChannelShutdownAsync += (_, args) =>
            {
                // A lost connection is healed by automatic recovery (queue, binding and consumer included);
                // a channel closed by the broker is not.
                if (args.Initiator != ShutdownInitiator.Application && broker.Connection.IsOpen)
                {
                    connection.SetClosed(args.ReplyText);
                }

                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static MailboxMessage Read(BasicDeliverEventArgs args)
    {
        var headers = args.BasicProperties.Headers;
        return new MailboxMessage(
            args.Body.ToArray(),
            headers is not null && headers.TryGetValue("ticket", out var ticket) ? AsString(ticket) : null,
            headers is not null && headers.TryGetValue("expires", out var expires) ? AsDouble(expires) : null,
            headers is not null && headers.TryGetValue("clock", out var clock) ? (long?)AsDouble(clock) : null);
    }

    internal static BasicProperties JsonProperties(DeliveryModes mode) => new()
    {
        ContentType = "application/json",
        ContentEncoding = "utf-8",
        DeliveryMode = mode,
        Priority = 0,
    };

    private static string? AsString(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        string text => text,
        null => null,
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static double? AsDouble(object? value) => value switch
    {
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        short s => s,
        byte b => b,
        decimal m => (double)m,
        byte[] bytes when double.TryParse(Encoding.UTF8.GetString(bytes), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => null,
    };

    /// <summary>One listener's channel, which also publishes.</summary>
    private sealed class MailboxChannel(IChannel channel) : IMailboxConnection
    {
        private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool IsOpen => channel.IsOpen;

        public Task<string> Closed => _closed.Task;

        public void SetClosed(string reason) => _closed.TrySetResult(reason);

        public Task PublishCommandAsync(ReadOnlyMemory<byte> body, long clock, double expires, CancellationToken cancellationToken) =>
            RabbitMqMailbox.PublishCommandAsync(channel, body, clock, expires, cancellationToken);

        public Task PublishReplyAsync(
            string exchange, string routingKey, string? ticket, long clock, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
            RabbitMqMailbox.PublishReplyAsync(channel, exchange, routingKey, ticket, clock, body, cancellationToken);

        public async Task CloseAsync()
        {
            try
            {
                await channel.CloseAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AlreadyClosedException or OperationInterruptedException)
            {
                // Already closed.
            }
        }

        public ValueTask DisposeAsync() => channel.DisposeAsync();
    }
}
