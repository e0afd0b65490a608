using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Topology;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Moves the messages RabbitMQ.Client 7.2.2 refuses to the dead-letter queue, through <see cref="RawAmqpConnection"/>:
/// those whose header table it cannot parse (py-amqp's <c>L</c> 64-bit values, reason <c>unreadable-headers</c>) and
/// those larger than <see cref="TaskEngineOptions.MaxMessageBytes"/> (its <c>MaxInboundMessageBodySize</c>, reason
/// <c>too-large</c>). The client library closes the whole connection on either; automatic recovery would then receive
/// the same message again, forever. The worker runs this rescue whenever its connection closes for one of those
/// reasons. An unreadable message's copy has its <c>L</c> values rewritten as <c>l</c>, so it can be read and
/// replayed; a too-large one is streamed frame by frame, never held whole in memory. FAILURE is stored when the id is
/// readable (the <c>id</c> header, else the correlation_id).
/// </summary>
internal sealed class UnreadableMessageRescue(
    IOptions<TaskEngineOptions> options,
    IResultBackend backend,
    TimeProvider timeProvider,
    ILogger<UnreadableMessageRescue> logger)
{
    public const string Reason = "unreadable-headers";
    private const string Detail = "RabbitMQ.Client cannot read a header table value of AMQP type 'L' (Unrecognised type in table: L)";

    public static bool IsCausedByUnreadableHeaders(ShutdownEventArgs args) =>
        Mentions(args.ReplyText) || Mentions(args.Exception?.ToString());

    /// <summary>The client closed the connection on a body over its MaxInboundMessageBodySize.</summary>
    public static bool IsCausedByTooLargeBody(ShutdownEventArgs args) =>
        args.Exception is MalformedFrameException { Message: var text } && text.Contains("exceeds maximum", StringComparison.Ordinal);

    /// <summary>Scans up to <paramref name="scanLimit"/> messages per queue; returns how many it dead-lettered.</summary>
    public async Task<int> RescueAsync(IReadOnlyList<string> queues, int scanLimit, CancellationToken cancellationToken)
    {
        var engine = options.Value;
        var nodes = BrokerUris.Nodes(engine.RabbitMqConnectionString);
        if (nodes.Count == 0)
        {
            return 0;
        }

        await using var raw = await OpenAnyNodeAsync(nodes, cancellationToken).ConfigureAwait(false);
        var moved = 0;
        foreach (var queue in queues)
        {
            var held = new List<ulong>();
            try
            {
                for (var i = 0; i < scanLimit; i++)
                {
                    var head = await raw.GetHeadAsync(queue, cancellationToken).ConfigureAwait(false);
                    if (head is null)
                    {
                        break;
                    }

                    var tooLarge = head.BodySize > (ulong)engine.MaxMessageBytes;
                    var (reason, detail) = tooLarge
                        ? (Execution.TaskExecutor.TooLargeReason, Execution.TaskExecutor.TooLargeDetail((long)head.BodySize, engine.MaxMessageBytes))
                        : (Reason, Detail);
                    var headers = head.Properties.Headers ?? new Dictionary<string, object?>(StringComparer.Ordinal);
                    var id = TaskEnvelope.TaskId(headers, head.Properties.CorrelationId);
                    headers[RabbitMqBroker.DeathReasonHeader] = reason;
                    headers[RabbitMqBroker.ExceptionHeader] = detail;
                    headers[RabbitMqBroker.OriginalQueueHeader] = queue;
                    headers[RabbitMqBroker.DeadLetteredAtHeader] = CeleryTime.FormatHeader(timeProvider.GetUtcNow());
                    var copy = head.Properties with { Headers = headers };
                    if (tooLarge)
                    {
                        await raw.ForwardBodyAsync(head.BodySize, engine.DeadLetterQueue, copy, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        var body = await raw.ReadBodyAsync(head.BodySize, cancellationToken).ConfigureAwait(false);
                        if (!head.HasTypesDotNetCannotRead)
                        {
                            held.Add(head.DeliveryTag);
                            continue;
                        }

                        await raw.PublishAsync(engine.DeadLetterQueue, copy, body, cancellationToken).ConfigureAwait(false);
                    }

                    await raw.AckAsync(head.DeliveryTag, cancellationToken).ConfigureAwait(false);
                    moved++;
                    TaskEngineLog.DeadLettered(logger, id, queue, reason);
                    TaskEngineDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", queue),
                        new KeyValuePair<string, object?>("reason", reason));
                    if (id is not null)
                    {
                        await backend.StoreAsync(id, ResultMetaWriter.Exception(
                            id, TaskState.Failure, ExceptionInfo.Create("InvalidTaskError", "celery.exceptions", detail), null,
                            timeProvider.GetUtcNow(), null, null), cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                foreach (var tag in held)
                {
                    await raw.NackAsync(tag, requeue: true, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        return moved;
    }

    private static bool Mentions(string? text) =>
        text is not null && text.Contains("Unrecognised type in table", StringComparison.Ordinal);

    // Any node of a cluster serves every queue; a node that is down is skipped.
    private static async Task<RawAmqpConnection> OpenAnyNodeAsync(IReadOnlyList<Uri> nodes, CancellationToken cancellationToken)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return await RawAmqpConnection.OpenAsync(nodes[i], cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException && i < nodes.Count - 1)
            {
            }
        }
    }
}
