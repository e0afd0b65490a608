namespace Onboarding.TaskEngine.Control;

/// <summary>
/// The broker seam of remote control (kombu's <c>Mailbox</c>): a node listens for commands, a caller listens for
/// replies, each on a connection of its own (<c>RabbitMq/RabbitMqMailbox</c> in production).
/// </summary>
internal interface IMailbox
{
    /// <summary>Listens for the commands sent to every node, as node <paramref name="node"/>.</summary>
    Task<IMailboxConnection> ListenAsync(string node, Func<MailboxMessage, Task> onMessage, CancellationToken cancellationToken);

    /// <summary>Listens for the replies addressed to caller <paramref name="oid"/>.</summary>
    Task<IMailboxConnection> ListenForRepliesAsync(string oid, Func<MailboxMessage, Task> onReply, CancellationToken cancellationToken);

    /// <summary>Whether <paramref name="exception"/> says the broker is away for now (listen again shortly).</summary>
    bool IsUnavailable(Exception exception);
}

/// <summary>A listening mailbox connection, which also sends.</summary>
internal interface IMailboxConnection : IAsyncDisposable
{
    bool IsOpen { get; }

    /// <summary>Completes, with the broker's reason, when the broker closed it for a reason recovery does not heal.</summary>
    Task<string> Closed { get; }

    /// <summary>Sends a command to every node (headers <c>clock</c> and <c>expires</c>, Unix seconds, 0 for never).</summary>
    Task PublishCommandAsync(ReadOnlyMemory<byte> body, long clock, double expires, CancellationToken cancellationToken);

    /// <summary>Sends a node's reply to the caller's exchange and routing key, with the command's ticket.</summary>
    Task PublishReplyAsync(string exchange, string routingKey, string? ticket, long clock, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>Closes it; a connection already gone is fine.</summary>
    Task CloseAsync();
}
