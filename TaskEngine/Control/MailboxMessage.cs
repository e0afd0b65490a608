namespace Onboarding.TaskEngine.Control;

/// <summary>A remote control message or reply as it came off the wire.</summary>
/// <param name="Body">The JSON body.</param>
/// <param name="Ticket">The <c>ticket</c> header of a reply (the command it answers).</param>
/// <param name="Expires">The <c>expires</c> header (Unix seconds; 0 or absent: never).</param>
/// <param name="Clock">The sender's logical clock (<c>clock</c> header).</param>
internal readonly record struct MailboxMessage(ReadOnlyMemory<byte> Body, string? Ticket, double? Expires, long? Clock);

/// <summary>Celery's names for remote control's exchanges and queues.</summary>
internal static class PidboxNames
{
    public const string Exchange = "celery.pidbox";
    public const string ReplyExchange = "reply.celery.pidbox";

    public static string NodeQueue(string node) => node + ".celery.pidbox";

    public static string ReplyQueue(string oid) => oid + "." + ReplyExchange;
}
