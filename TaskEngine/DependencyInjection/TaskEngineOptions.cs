using System.ComponentModel.DataAnnotations;

namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>Engine settings, bound from the <c>TaskEngine</c> configuration section and validated on start.</summary>
public sealed class TaskEngineOptions
{
    public const string SectionName = "TaskEngine";

    /// <summary>The queue for task names no route matches.</summary>
    [Required]
    public string DefaultQueue { get; set; } = "default";

    /// <summary>
    /// Glob routes (<c>*</c> any run of characters, <c>?</c> one), tried in order; the first match wins.
    /// When none are configured, the seed deployment's routes apply: <c>user_service.tasks.*</c> → user_queue,
    /// <c>order_service.tasks.*</c> → order_queue, <c>notification_service.tasks.*</c> → notification_queue.
    /// </summary>
    public List<TaskRoute> Routes { get; set; } = [];

    /// <summary>
    /// The type of every durable queue the engine declares: its task queues, each service's event queue, their delay
    /// queues and the dead-letter queue. <see cref="QueueType.Classic"/> (the default) while Celery 5.2 workers share the
    /// queues: they set a global QoS, which quorum queues refuse. <see cref="Queues"/> overrides it per queue.
    /// </summary>
    public QueueType QueueType { get; set; } = QueueType.Classic;

    /// <summary>
    /// Per-queue settings by queue name (<c>TaskEngine:Queues:&lt;name&gt;:Type</c>). A task queue's delay queues
    /// take its type; the dead-letter queue is configured under its own name.
    /// </summary>
    public Dictionary<string, QueueSettings> Queues { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// x-delivery-limit of quorum task and event queues: after this many deliveries that ended without an ack (a
    /// worker killed, a channel closed, a requeue) the broker dead-letters the message to <see cref="DeadLetterQueue"/>
    /// (reason <c>delivery_limit</c>), so a message that kills its worker again and again stops looping.
    /// </summary>
    [Range(1, 1_000_000)]
    public int DeliveryLimit { get; set; } = 20;

    /// <summary>Where unprocessable messages go, with the reason in headers.</summary>
    [Required]
    public string DeadLetterQueue { get; set; } = "onboarding.dead_letter";

    /// <summary>Prefix of the per-queue delay queues (<c>&lt;prefix&gt;.&lt;queue&gt;.&lt;ms&gt;</c>).</summary>
    [Required]
    public string DelayQueuePrefix { get; set; } = "onboarding.delay";

    /// <summary>TTL of stored results (Celery's result_expires, 1 day).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan ResultExpires { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a revocation is remembered.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00")]
    public TimeSpan RevokeExpires { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Prefix for result keys (Celery 5.3's global_keyprefix); empty for Celery compatibility.</summary>
    public string ResultKeyPrefix { get; set; } = string.Empty;

    /// <summary>How often a waiting <c>GetAsync</c> re-reads the key in case a notification was missed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ResultPollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How many times a publish is retried after the connection or channel closed.</summary>
    [Range(0, 100)]
    public int PublishRetries { get; set; } = 8;

    /// <summary>
    /// How long a worker keeps trying to store a finished task's outcome (SUCCESS, FAILURE, its chord part return, an
    /// event's handled mark) while Redis is unreachable, before it leaves the message for redelivery instead of acking
    /// it. Zero: no retry. The handler's outcome is never replaced by a FAILURE because the store failed.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ResultStoreRetryTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The longest pause between two such attempts (the first is 100 ms, then doubling).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ResultStoreRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The largest message body a worker takes in (10 MiB by default). A larger message is dead-lettered with reason
    /// <c>too-large</c>, without being deserialized, and FAILURE is stored when its id can be read from its headers.
    /// The RabbitMQ client is told the same limit, so such a body is never assembled in the worker's memory: the
    /// worker moves it to the dead-letter queue frame by frame.
    /// </summary>
    [Range(1024, 512 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>The AMQP URI (from <c>ConnectionStrings:rabbitmq</c>), for the raw reader of unreadable messages.</summary>
    internal string? RabbitMqConnectionString { get; set; }

    /// <summary>
    /// Publish a <c>task-sent</c> event to <c>celeryev</c> for every task this process sends (Celery's
    /// <c>task_send_sent_event</c>), so monitors see tasks before a worker receives them.
    /// </summary>
    public bool SendSentEvents { get; set; }

    /// <summary>The type <paramref name="queue"/> is declared with: its own setting, else <see cref="QueueType"/>.</summary>
    internal QueueType QueueTypeOf(string queue) =>
        Queues.TryGetValue(queue, out var settings) && settings.Type is { } type ? type : QueueType;

    /// <summary>The origin header (<c>gen&lt;pid&gt;@&lt;host&gt;</c> in Python).</summary>
    public string? Origin { get; set; }
}

public sealed class TaskRoute
{
    [Required]
    public string Pattern { get; set; } = string.Empty;

    [Required]
    public string Queue { get; set; } = string.Empty;
}
