using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.TaskEngine.Topology;

/// <summary>
/// The declare arguments of the engine's durable queues, by kind and type. Every declarer of a queue (this engine,
/// another service, a Python client) must send exactly these: RabbitMQ refuses a declare whose arguments differ
/// from the existing queue's (PRECONDITION_FAILED), an argument left out included.
/// </summary>
/// <remarks>
/// Quorum queues (checked on RabbitMQ 3.10.8):
/// <list type="bullet">
/// <item>Task and event queues get <c>x-delivery-limit</c> and dead-letter to the dead-letter queue; the broker marks
/// such a message <c>x-first-death-reason: delivery_limit</c>.</item>
/// <item>Delay queues keep their per-queue <c>x-message-ttl</c> (quorum queues expire messages from 3.10 on, per queue
/// and per message) and dead-letter back to their target queue.</item>
/// <item>A quorum queue dead-letters at most once unless told otherwise: the broker drops the message when the target
/// does not take it (its leader elsewhere and unreachable, say). <c>x-dead-letter-strategy: at-least-once</c> keeps it
/// in the source queue until the target confirms it, and needs <c>x-overflow: reject-publish</c> (with the default
/// drop-head the broker silently falls back to at-most-once). Without <c>x-max-length</c> the overflow setting
/// limits nothing.</item>
/// <item>The dead-letter queue must never drop what it holds, yet listing it returns messages unacknowledged, which
/// counts as a delivery. RabbitMQ 4 gives every quorum queue a limit of 20 when none is declared, and 3.10 reads
/// <c>-1</c> (or 0) as "dead-letter at the first return" (tried), so it gets the largest limit, which both take.</item>
/// </list>
/// The per-process queues (a worker's <c>&lt;node&gt;.celery.pidbox</c>, a control client's reply queue, an event
/// monitor's <c>celeryev.&lt;id&gt;</c>) stay classic whatever the setting: they are auto-delete and non-durable,
/// which quorum queues cannot be, are declared the same way by Celery itself, and are recreated on reconnect, so
/// nothing is lost with their node.
/// </remarks>
internal static class QueueArguments
{
    public const string QueueTypeArgument = "x-queue-type";
    public const string Quorum = "quorum";
    public const string Classic = "classic";

    /// <summary>A task or event queue: null for a classic one (declared as Celery declares it: no arguments).</summary>
    public static Dictionary<string, object?>? ForWorkQueue(TaskEngineOptions options, string queue) =>
        options.QueueTypeOf(queue) == QueueType.Quorum
            ? new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [QueueTypeArgument] = Quorum,
                ["x-delivery-limit"] = options.DeliveryLimit,
                ["x-dead-letter-exchange"] = string.Empty,
                ["x-dead-letter-routing-key"] = options.DeadLetterQueue,
                ["x-dead-letter-strategy"] = "at-least-once",
                ["x-overflow"] = "reject-publish",
            }
            : null;

    /// <summary>A delay tier of <paramref name="target"/>: it holds messages for the TTL, then dead-letters them back.</summary>
    public static Dictionary<string, object?> ForDelayQueue(TaskEngineOptions options, string target, long ttlMilliseconds)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["x-message-ttl"] = ttlMilliseconds,
            ["x-dead-letter-exchange"] = string.Empty,
            ["x-dead-letter-routing-key"] = target,
        };
        if (options.QueueTypeOf(target) == QueueType.Quorum)
        {
            arguments[QueueTypeArgument] = Quorum;
            arguments["x-dead-letter-strategy"] = "at-least-once";
            arguments["x-overflow"] = "reject-publish";
        }

        return arguments;
    }

    /// <summary>The dead-letter queue: for a quorum one, a delivery limit no listing of it will ever reach.</summary>
    public static Dictionary<string, object?>? ForDeadLetterQueue(TaskEngineOptions options) =>
        options.QueueTypeOf(options.DeadLetterQueue) == QueueType.Quorum
            ? new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                [QueueTypeArgument] = Quorum,
                ["x-delivery-limit"] = int.MaxValue,
            }
            : null;

    /// <summary>The type the arguments declare: "quorum", "stream", or "classic" when none is named.</summary>
    public static string TypeOf(IDictionary<string, object?>? arguments) =>
        arguments is not null && arguments.TryGetValue(QueueTypeArgument, out var type) && type is string name ? name : Classic;
}
