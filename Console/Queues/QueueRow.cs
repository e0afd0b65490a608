namespace Onboarding.OperationsConsole.Queues;

/// <summary>One queue as the Queues page shows it. A null figure is one the source in use cannot give.</summary>
/// <param name="Name">The queue's name.</param>
/// <param name="Ready">Messages waiting for a consumer.</param>
/// <param name="Unacked">Messages delivered to a consumer and not acknowledged yet.</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages published into the queue per second, averaged by the broker.</param>
/// <param name="DeliverRate">Messages delivered (or fetched) from the queue per second.</param>
/// <param name="Kind">
/// <c>work</c> (tasks wait here for workers), <c>dead-letter</c>, <c>delay</c> (countdown tasks wait out their
/// delay), <c>events</c> (a monitor's or service's event queue) or <c>control</c> (remote-control replies).
/// </param>
public sealed record QueueRow(
    string Name,
    long Ready,
    long? Unacked,
    long Consumers,
    double? PublishRate,
    double? DeliverRate,
    string Kind)
{
    /// <summary>Ready plus unacknowledged, or ready alone when unacknowledged is unknown.</summary>
    public long Depth => Ready + (Unacked ?? 0);
}

/// <summary>The queues at one moment, where the figures came from, and what that source cannot tell.</summary>
/// <param name="Source">
/// <c>management</c> (RabbitMQ's management HTTP API: every queue, with rates) or <c>amqp</c> (passive declares of
/// the queues the console knows, plus unacknowledged counts from the workers' inspect replies).
/// </param>
/// <param name="Queues">The queues: work queues first, then by kind and name.</param>
/// <param name="Unavailable">What the page says it cannot show, in words.</param>
public sealed record QueueReport(string Source, IReadOnlyList<QueueRow> Queues, IReadOnlyList<string> Unavailable);
