using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Onboarding.TaskEngine.Diagnostics;

/// <summary>The engine's one ActivitySource and one Meter, both named <see cref="Name"/>.</summary>
public static class TaskEngineDiagnostics
{
    public const string Name = "Onboarding.TaskEngine";

    internal static readonly ActivitySource ActivitySource = new(Name);
    internal static readonly Meter Meter = new(Name);

    internal static readonly Counter<long> Published = Meter.CreateCounter<long>("onboarding.tasks.published", "{task}", "Tasks published.");
    internal static readonly Counter<long> Received = Meter.CreateCounter<long>("onboarding.tasks.received", "{task}", "Task messages received by workers.");
    internal static readonly Counter<long> Succeeded = Meter.CreateCounter<long>("onboarding.tasks.succeeded", "{task}", "Tasks that succeeded.");
    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>("onboarding.tasks.failed", "{task}", "Tasks that failed.");
    internal static readonly Counter<long> Retried = Meter.CreateCounter<long>("onboarding.tasks.retried", "{task}", "Task retries scheduled.");
    internal static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("onboarding.tasks.dead_lettered", "{message}", "Messages moved to the dead-letter queue.");
    internal static readonly Counter<long> Revoked = Meter.CreateCounter<long>("onboarding.tasks.revoked", "{task}", "Tasks revoked or expired.");
    internal static readonly Counter<long> Delayed = Meter.CreateCounter<long>("onboarding.tasks.delayed", "{message}", "Messages moved to a delay queue.");
    internal static readonly Counter<long> OutcomeStoreRetries = Meter.CreateCounter<long>(
        "onboarding.tasks.outcome_store_retries", "{attempt}", "Failed attempts to store a finished task's outcome while Redis was unreachable.");
    internal static readonly Counter<long> OutcomeStoreGaveUp = Meter.CreateCounter<long>(
        "onboarding.tasks.outcome_store_gave_up", "{task}", "Finished tasks whose outcome could not be stored in time; their messages were left for redelivery.");
    internal static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("onboarding.tasks.duration", "s", "Handler run time.");
    internal static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>("onboarding.tasks.queue_lag", "s", "Time from due (publish or ETA) to start.");

    internal static TagList TaskTags(string taskName, string queue) => new()
    {
        { "messaging.system", "rabbitmq" },
        { "messaging.destination.name", queue },
        { "task.name", taskName },
    };

    /// <summary>The <c>&lt;task&gt; publish</c> span, its W3C context injected into <paramref name="headers"/>.</summary>
    internal static Activity? StartPublishActivity(string taskName, string taskId, string queue, IDictionary<string, object?> headers)
    {
        var activity = TaskEngineDiagnostics.ActivitySource.StartActivity(taskName + " publish", ActivityKind.Producer);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.destination.name", queue);
            activity.SetTag("messaging.rabbitmq.destination.routing_key", queue);
            activity.SetTag("messaging.message.id", taskId);
            activity.SetTag("messaging.message.conversation_id", taskId);
        }

        DistributedContextPropagator.Current.Inject(activity ?? Activity.Current, headers, static (carrier, key, value) =>
        {
            if (carrier is IDictionary<string, object?> map)
            {
                map[key] = value;
            }
        });
        return activity;
    }
}
