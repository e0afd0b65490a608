using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.TaskEngine.Events;

/// <summary>Event counters on the engine's Meter.</summary>
internal static class EventDiagnostics
{
    public static readonly Counter<long> Published = TaskEngineDiagnostics.Meter.CreateCounter<long>(
        "onboarding.events.published", "{event}", "Events published.");

    public static readonly Counter<long> Handled = TaskEngineDiagnostics.Meter.CreateCounter<long>(
        "onboarding.events.handled", "{event}", "Events handled by a subscriber.");

    public static readonly Counter<long> Duplicates = TaskEngineDiagnostics.Meter.CreateCounter<long>(
        "onboarding.events.duplicates", "{event}", "Redelivered events skipped because they were handled already.");

    public static readonly Counter<long> Retried = TaskEngineDiagnostics.Meter.CreateCounter<long>(
        "onboarding.events.retried", "{event}", "Event handler failures scheduled for a retry.");

    public static readonly Counter<long> DeadLettered = TaskEngineDiagnostics.Meter.CreateCounter<long>(
        "onboarding.events.dead_lettered", "{event}", "Events moved to the dead-letter queue.");
}

/// <summary>Header names the event transport adds.</summary>
internal static class EventHeaders
{
    public const string EventType = "x-event-type";
    public const string Attempt = "x-event-attempt";
    public const string DueAt = "x-event-due-ms";
}

/// <summary>Log lines of the event transport.</summary>
internal static partial class EventLog
{
    [LoggerMessage(101, LogLevel.Information, "Event consumer {Subscriber} listening on {Queue} for {Patterns}")]
    public static partial void ConsumerStarted(ILogger logger, string subscriber, string queue, string patterns);

    [LoggerMessage(102, LogLevel.Warning, "Event {EventType}[{EventId}] failed in {Subscriber} (attempt {Attempt}), retry in {Delay}")]
    public static partial void HandlerRetrying(ILogger logger, Exception exception, string eventType, string eventId, string subscriber, int attempt, TimeSpan delay);

    [LoggerMessage(103, LogLevel.Warning, "Event {EventId} on {Queue} dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string? eventId, string queue, string reason);

    [LoggerMessage(104, LogLevel.Debug, "Event {EventType}[{EventId}] already handled by {Subscriber}; skipped")]
    public static partial void Duplicate(ILogger logger, string eventType, string eventId, string subscriber);

    [LoggerMessage(105, LogLevel.Error, "Event delivery handling failed; message requeued")]
    public static partial void DeliveryError(ILogger logger, Exception exception);

    [LoggerMessage(106, LogLevel.Warning, "Event {EventType}[{EventId}] reached no queue on {Exchange}; dead-lettered as unroutable")]
    public static partial void Unroutable(ILogger logger, string eventType, string eventId, string exchange);
}
