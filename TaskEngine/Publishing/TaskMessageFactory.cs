using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Routing;

namespace Onboarding.TaskEngine.Publishing;

/// <summary>
/// The one place a task message is made (Celery's <c>as_task_v2</c> plus routing), for the client's
/// <c>SendAsync</c> and for every workflow message: the task's registered options fill what the sender left open,
/// times become absolute with the engine's clock, <c>origin</c> names this process, and the publish span starts.
/// After the broker confirmed, <see cref="Published"/> sends the <c>task-sent</c> event and counts the publish.
/// The caller awaits the publish itself, so the hot path has no extra async step.
/// </summary>
internal sealed class TaskMessageFactory(
    TaskRouter router,
    TaskRegistry registry,
    IOptions<TaskEngineOptions> options,
    TaskEvents events,
    TimeProvider timeProvider)
{
    private static readonly IReadOnlyDictionary<string, System.Text.Json.JsonElement> NoKwargs =
        new Dictionary<string, System.Text.Json.JsonElement>();

    private readonly string _origin = options.Value.Origin ?? $"gen{Environment.ProcessId}@{Environment.MachineName}";
    private readonly bool _sendSentEvents = options.Value.SendSentEvents;

    /// <summary>Builds and routes the message and starts its publish span.</summary>
    public OutgoingTask Create(in TaskMessageRequest request)
    {
        var taskOptions = registry.OptionsFor(request.Name);
        var queue = router.Route(request.Name, request.Queue, taskOptions?.Queue);
        var now = timeProvider.GetUtcNow();
        var span = TaskEngineDiagnostics.StartPublishActivity(request.Name, request.Id, queue, request.Headers);
        var message = new TaskMessage
        {
            Id = request.Id,
            Name = request.Name,
            Args = request.Args ?? [],
            Kwargs = request.Kwargs ?? NoKwargs,
            Callbacks = request.Callbacks,
            Errbacks = request.Errbacks,
            Chain = request.Chain,
            Chord = request.Chord,
            Eta = request.Eta ?? (request.Countdown is { } countdown ? now + countdown : null),
            Expires = request.Expires ?? ((request.ExpiresIn ?? taskOptions?.Expires) is { } expiresIn ? now + expiresIn : null),
            Priority = request.Priority,
            TimeLimit = request.TimeLimit ?? taskOptions?.TimeLimit?.TotalSeconds,
            SoftTimeLimit = request.SoftTimeLimit ?? taskOptions?.SoftTimeLimit?.TotalSeconds,
            IgnoreResult = request.IgnoreResult ?? taskOptions?.IgnoreResult ?? false,
            ParentId = request.ParentId,
            RootId = request.RootId ?? request.Id,
            GroupId = request.GroupId,
            GroupIndex = request.GroupIndex,
            Shadow = request.Shadow,
            ReplyTo = request.ReplyTo,
            Origin = _origin,
            ExtraHeaders = request.Headers,
        };
        return new OutgoingTask(message, queue, span);
    }

    /// <summary>The broker confirmed the publish: the <c>task-sent</c> event (when enabled) and the published counter.</summary>
    public void Published(in OutgoingTask outgoing)
    {
        if (_sendSentEvents)
        {
            events.Sent(outgoing.Message, exchange: string.Empty, routingKey: outgoing.Queue, outgoing.Queue);
        }

        TaskEngineDiagnostics.Published.Add(1, TaskEngineDiagnostics.TaskTags(outgoing.Message.Name, outgoing.Queue));
    }
}
