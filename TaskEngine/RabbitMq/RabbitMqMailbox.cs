using System.Globalization;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>A remote control message or reply as it came off the wire.</summary>
/// <param name="Body">The JSON body.</param>
/// <param name="Ticket">The <c>ticket</c> header of a reply (the command it answers).</param>
/// <param name="Expires">The <c>expires</c> header (Unix seconds; 0 or absent: never).</param>
/// <param name="Clock">The sender's logical clock (<c>clock</c> header).</param>
internal readonly record struct MailboxMessage(ReadOnlyMemory<byte> Body, string? Ticket, double? Expires, long? Clock);

/// <summary>
/// The AMQP side of Celery's remote control (kombu's <c>Mailbox</c> with <c>type='fanout'</c>): commands go to the
/// <c>celery.pidbox</c> fanout exchange, each node consumes its own <c>&lt;node&gt;.celery.pidbox</c> queue (not durable,
/// auto-delete, <c>x-expires</c> 10 s and <c>x-message-ttl</c> 300 s, so a dead node's queue disappears), and replies
/// go to the <c>reply.celery.pidbox</c> direct exchange with the caller's routing key and the command's ticket.
/// Each listener and each client has a channel of its own, so control traffic never waits behind task traffic.
/// </summary>
internal sealed class RabbitMqMailbox(RabbitMqBroker broker)
{
    public const string Exchange = "celery.pidbox";
    public const string ReplyExchange = "reply.celery.pidbox";

    // Celery's control_queue_expires (10 s) and control_queue_ttl (300 s), for node and reply queues alike.
    private static readonly Dictionary<string, object?> QueueArguments = new()
    {
        ["x-expires"] = 10_000,
        ["x-message-ttl"] = 300_000,
    };

    public static string NodeQueue(string node) => node + ".celery.pidbox";

    public static string ReplyQueue(string oid) => oid + "." + ReplyExchange;

    /// <summary>Declares the node's queue, binds it to the fanout exchange and consumes it (no acks, as kombu's Node does).</summary>
    public Task<IChannel> ListenAsync(string node, Func<MailboxMessage, Task> onMessage, CancellationToken cancellationToken) =>
        ConsumeAsync(NodeQueue(node), Exchange, ExchangeType.Fanout, routingKey: string.Empty, onMessage, cancellationToken);

    /// <summary>Declares a caller's reply queue (bound with routing key <paramref name="oid"/>) and consumes it.</summary>
    public Task<IChannel> ListenForRepliesAsync(string oid, Func<MailboxMessage, Task> onReply, CancellationToken cancellationToken) =>
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

    private async Task<IChannel> ConsumeAsync(
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
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer, cancellationToken).ConfigureAwait(false);
            return channel;
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
}
