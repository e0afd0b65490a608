using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Redis;
using RabbitMQ.Client.Events;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Moves messages whose header table RabbitMQ.Client 7.2.2 cannot parse (py-amqp's <c>L</c> 64-bit values) to
/// the dead-letter queue, through <see cref="RawAmqpConnection"/>. The client library throws while parsing such a
/// delivery and closes the connection; automatic recovery would then receive the same message again, forever.
/// The worker runs this rescue whenever its connection closes for that reason. The dead-lettered copy has its
/// <c>L</c> values rewritten as <c>l</c>, so it can be read and replayed; FAILURE is stored when the id is readable.
/// </summary>
internal sealed class UnreadableMessageRescue(
    IOptions<TaskEngineOptions> options,
    RedisResultBackend backend,
    TimeProvider timeProvider,
    ILogger<UnreadableMessageRescue> logger)
{
    public const string Reason = "unreadable-headers";
    private const string Detail = "RabbitMQ.Client cannot read a header table value of AMQP type 'L' (Unrecognised type in table: L)";

    public static bool IsCausedByUnreadableHeaders(ShutdownEventArgs args) =>
        Mentions(args.ReplyText) || Mentions(args.Exception?.ToString());

    /// <summary>Scans up to <paramref name="scanLimit"/> messages per queue; returns how many it dead-lettered.</summary>
    public async Task<int> RescueAsync(IReadOnlyList<string> queues, int scanLimit, CancellationToken cancellationToken)
    {
        var engine = options.Value;
        if (!Uri.TryCreate(engine.RabbitMqConnectionString, UriKind.Absolute, out var uri))
        {
            return 0;
        }

        await using var raw = await RawAmqpConnection.OpenAsync(uri, cancellationToken).ConfigureAwait(false);
        var moved = 0;
        foreach (var queue in queues)
        {
            var held = new List<ulong>();
            try
            {
                for (var i = 0; i < scanLimit; i++)
                {
                    var message = await raw.GetAsync(queue, cancellationToken).ConfigureAwait(false);
                    if (message is null)
                    {
                        break;
                    }

                    if (!message.HasTypesDotNetCannotRead)
                    {
                        held.Add(message.DeliveryTag);
                        continue;
                    }

                    var headers = message.Properties.Headers ?? new Dictionary<string, object?>(StringComparer.Ordinal);
                    var id = TaskEnvelope.TaskId(headers, message.Properties.CorrelationId);
                    headers[RabbitMqBroker.DeathReasonHeader] = Reason;
                    headers[RabbitMqBroker.ExceptionHeader] = Detail;
                    headers[RabbitMqBroker.OriginalQueueHeader] = queue;
                    headers[RabbitMqBroker.DeadLetteredAtHeader] = CeleryTime.FormatHeader(timeProvider.GetUtcNow());
                    await raw.PublishAsync(engine.DeadLetterQueue, message.Properties with { Headers = headers }, message.Body, cancellationToken)
                        .ConfigureAwait(false);
                    await raw.AckAsync(message.DeliveryTag, cancellationToken).ConfigureAwait(false);
                    moved++;
                    TaskEngineLog.DeadLettered(logger, id, queue, Reason);
                    TaskEngineDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("messaging.destination.name", queue),
                        new KeyValuePair<string, object?>("reason", Reason));
                    if (id is not null)
                    {
                        await backend.StoreAsync(id, ResultMetaWriter.Exception(
                            id, TaskState.Failure, ExceptionInfo.Create("InvalidTaskError", "celery.exceptions", Detail), null,
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
}
