using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Retry;

namespace Onboarding.TaskEngine.Events;

/// <summary>
/// Consumes this service's one durable queue <c>&lt;subscriber&gt;.events</c>, bound to the topic exchange for every
/// subscribed pattern, and dispatches each event to its handlers in a DI scope of its own.
/// </summary>
/// <remarks>
/// Idempotent by event id: before running, the event is claimed in the result backend (<see cref="IEventClaims"/>,
/// a lease with an owner token); after all handlers succeed the key becomes <c>done</c> for
/// <see cref="EventOptions.IdempotencyWindow"/>, and only then is the message acked. A redelivery or a re-publish of a
/// done event is acked without running; one another replica is running is put back through a delay queue. A handler
/// failure releases the claim and re-publishes the event through the engine's delay queues with backoff (nothing
/// waits in memory); past <see cref="EventOptions.MaxRetries"/>, and at once for an unknown type or an unreadable
/// body, the event goes to the engine's dead-letter queue with the reason in headers.
/// </remarks>
internal sealed class EventConsumerService(
    ITaskBroker broker,
    IEventSource source,
    IEventClaims claims,
    EventSubscriptions subscriptions,
    IServiceScopeFactory scopeFactory,
    ResultStoreRetry storeRetry,
    IOptions<EventOptions> options,
    TimeProvider timeProvider,
    ILogger<EventConsumerService> logger) : BackgroundService
{
    private static readonly TimeSpan HeldElsewhereDelay = TimeSpan.FromSeconds(1);

    private readonly EventOptions _options = options.Value;

    // Every handler failure is retried, with the tasks' backoff, until MaxRetries.
    private readonly RetryPolicy _retry = new(
        options.Value.MaxRetries, options.Value.RetryBackoff, options.Value.RetryBackoffMax, options.Value.RetryJitter, RetryPolicy.AnyException);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Signals that the queue is bound and consumed (for tests and health).</summary>
    public Task Started => _started.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = _options.QueueName;
        await broker.EnsureQueueAsync(queue, stoppingToken).ConfigureAwait(false);
        IReadOnlyCollection<string> patterns = [.. subscriptions.Patterns];
        try
        {
            await source.ConsumeAsync(queue, patterns, _options.Concurrency, HandleAsync, () =>
            {
                EventLog.ConsumerStarted(logger, _options.Subscriber!, queue, string.Join(',', patterns));
                _started.TrySetResult();
            }, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: unacked deliveries go back to the queue when the channel closes.
        }
    }

    /// <summary>
    /// Handles one delivery; true when it may be acked (handled, skipped, re-published or dead-lettered), false when
    /// the handlers ran but Redis stayed away too long to mark the event handled (it goes back to the queue).
    /// </summary>
    private async Task<bool> HandleAsync(TaskDelivery delivery, CancellationToken stoppingToken)
    {
        if (ReadLong(delivery.Headers, EventHeaders.DueAt) is { } dueMs)
        {
            var remaining = DateTimeOffset.FromUnixTimeMilliseconds(dueMs) - timeProvider.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                await broker.DelayAsync(delivery, remaining, stoppingToken).ConfigureAwait(false);
                return true;
            }
        }

        EventEnvelope envelope;
        try
        {
            envelope = EventEnvelope.FromUtf8Json(delivery.Body.Span);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or NotSupportedException or ArgumentException)
        {
            await DeadLetterAsync(delivery, null, "undecodable", ex, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var handlers = subscriptions.Match(envelope.EventType);
        if (handlers.Count == 0)
        {
            await DeadLetterAsync(delivery, envelope.EventId, "unknown-event-type", null, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var parent = ExtractParent(delivery.Headers);
        using var activity = TaskEngineDiagnostics.ActivitySource.StartActivity(
            envelope.EventType + " process", ActivityKind.Consumer, parent);
        activity?.SetTag("messaging.system", "rabbitmq");
        activity?.SetTag("messaging.operation.type", "process");
        activity?.SetTag("messaging.destination.name", delivery.Queue);
        activity?.SetTag("messaging.message.id", envelope.EventId);
        activity?.SetTag("messaging.consumer.group.name", _options.Subscriber);

        var token = Guid.CreateVersion7().ToString("N");
        var claim = await claims.ClaimAsync(envelope.EventId, token, _options.ProcessingLease).ConfigureAwait(false);
        if (claim == EventClaimResult.Handled)
        {
            EventLog.Duplicate(logger, envelope.EventType, envelope.EventId, _options.Subscriber!);
            EventDiagnostics.Duplicates.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
            activity?.SetTag("event.duplicate", true);
            return true;
        }

        if (claim == EventClaimResult.HeldElsewhere)
        {
            // Another replica is running it: look again later, without counting an attempt.
            await broker.DelayAsync(delivery, HeldElsewhereDelay, stoppingToken).ConfigureAwait(false);
            return true;
        }

        var attempt = (int)(ReadLong(delivery.Headers, EventHeaders.Attempt) ?? 0);
        try
        {
            await using (var scope = scopeFactory.CreateAsyncScope())
            {
                var context = new EventContext(envelope, attempt, _options.Subscriber!);
                foreach (var handler in handlers)
                {
                    await handler.InvokeAsync(scope.ServiceProvider, context, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex)
        {
            await claims.ReleaseAsync(envelope.EventId, token).ConfigureAwait(false);
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            if (ex is OperationCanceledException && stoppingToken.IsCancellationRequested)
            {
                throw;
            }

            if (ex is EventDecodeException)
            {
                await DeadLetterAsync(delivery, envelope.EventId, "undecodable", ex, stoppingToken).ConfigureAwait(false);
            }
            else if (_retry.Decide(ex, attempt, Random.Shared.NextDouble()) is { Verdict: RetryVerdict.Retry } retry)
            {
                await RetryAsync(delivery, envelope, attempt, retry.Delay, ex, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                await DeadLetterAsync(delivery, envelope.EventId, "max-retries-exceeded", ex, stoppingToken).ConfigureAwait(false);
            }

            return true;
        }

        // Handled: a Redis blip must not make a redelivery run the handlers again, so the mark is retried like a task's result.
        try
        {
            await claims.MarkHandledAsync(envelope.EventId, _options.IdempotencyWindow).ConfigureAwait(false);
        }
        catch (Exception ex) when (storeRetry.IsTransient(ex))
        {
            if (!await RetryHandledMarkAsync(envelope, ex, stoppingToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        EventDiagnostics.Handled.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
        return true;
    }

    private Task<bool> RetryHandledMarkAsync(EventEnvelope envelope, Exception failure, CancellationToken stoppingToken) =>
        storeRetry.RetryAsync("handled mark", envelope.EventType, envelope.EventId, failure,
            () => claims.MarkHandledAsync(envelope.EventId, _options.IdempotencyWindow), stoppingToken);

    /// <summary>Re-publishes through the engine's delay queues; the due time and attempt ride in headers.</summary>
    private async Task RetryAsync(
        TaskDelivery delivery, EventEnvelope envelope, int attempt, TimeSpan delay, Exception exception, CancellationToken cancellationToken)
    {
        var headers = delivery.Headers is null
            ? new Dictionary<string, object?>(StringComparer.Ordinal)
            : new Dictionary<string, object?>(delivery.Headers, StringComparer.Ordinal);
        headers[EventHeaders.Attempt] = attempt + 1;
        headers[EventHeaders.DueAt] = (timeProvider.GetUtcNow() + delay).ToUnixTimeMilliseconds();
        await broker.DelayAsync(delivery with { Headers = headers }, delay, cancellationToken).ConfigureAwait(false);
        EventLog.HandlerRetrying(logger, exception, envelope.EventType, envelope.EventId, _options.Subscriber!, attempt + 1, delay);
        EventDiagnostics.Retried.Add(1, new KeyValuePair<string, object?>("event.type", envelope.EventType));
    }

    private async Task DeadLetterAsync(TaskDelivery delivery, string? eventId, string reason, Exception? exception, CancellationToken cancellationToken)
    {
        await broker.DeadLetterAsync(delivery, reason, exception is null ? null : MessageHeaders.Describe(exception), cancellationToken)
            .ConfigureAwait(false);
        EventLog.DeadLettered(logger, eventId, delivery.Queue, reason);
        EventDiagnostics.DeadLettered.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    private static ActivityContext ExtractParent(IDictionary<string, object?>? headers)
    {
        if (headers is null)
        {
            return default;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is IDictionary<string, object?> map && map.TryGetValue(name, out var raw) ? TaskEnvelope.AsString(raw) : null;
        }, out var traceParent, out var traceState);
        return ActivityContext.TryParse(traceParent, traceState, out var context) ? context : default;
    }

    private static long? ReadLong(IDictionary<string, object?>? headers, string name) =>
        (headers is not null && headers.TryGetValue(name, out var value) ? value : null) switch
        {
            int i => i,
            long l => l,
            byte[] bytes when long.TryParse(System.Text.Encoding.UTF8.GetString(bytes), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };
}
