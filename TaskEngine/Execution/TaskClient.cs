using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Routing;
using Onboarding.TaskEngine.Redis;

namespace Onboarding.TaskEngine.Execution;

/// <summary>Builds protocol v2 messages, routes them and publishes them with confirms.</summary>
internal sealed class TaskClient(
    RabbitMqBroker broker,
    RedisResultBackend backend,
    TaskRouter router,
    TaskRegistry registry,
    IOptions<TaskEngineOptions> options,
    TaskEvents events,
    TimeProvider timeProvider) : ITaskClient
{
    private static readonly IReadOnlyDictionary<string, JsonElement> NoKwargs = new Dictionary<string, JsonElement>();
    private readonly string _origin = options.Value.Origin ?? $"gen{Environment.ProcessId}@{Environment.MachineName}";
    private readonly bool _sendSentEvents = options.Value.SendSentEvents;

    public async Task<TaskResult> SendAsync(
        string taskName,
        IReadOnlyList<JsonElement>? args = null,
        IReadOnlyDictionary<string, JsonElement>? kwargs = null,
        TaskSendOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        var taskOptions = registry.OptionsFor(taskName);
        var queue = router.Route(taskName, options?.Queue, taskOptions?.Queue);
        var id = options?.TaskId ?? NewTaskId();
        var now = timeProvider.GetUtcNow();

        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (options?.Headers is { } custom)
        {
            foreach (var (key, value) in custom)
            {
                headers[key] = value;
            }
        }

        using var activity = RabbitMqBroker.StartPublishActivity(taskName, id, queue, headers);
        var message = new TaskMessage
        {
            Id = id,
            Name = taskName,
            Args = args ?? [],
            Kwargs = kwargs ?? NoKwargs,
            Eta = options?.Eta ?? (options?.Countdown is { } countdown ? now + countdown : null),
            Expires = options?.Expires ?? ((options?.ExpiresIn ?? taskOptions?.Expires) is { } expiresIn ? now + expiresIn : null),
            Priority = options?.Priority ?? 0,
            TimeLimit = (options?.TimeLimit ?? taskOptions?.TimeLimit)?.TotalSeconds,
            SoftTimeLimit = (options?.SoftTimeLimit ?? taskOptions?.SoftTimeLimit)?.TotalSeconds,
            IgnoreResult = options?.IgnoreResult ?? taskOptions?.IgnoreResult ?? false,
            ParentId = options?.ParentId,
            RootId = options?.RootId ?? id,
            GroupId = options?.GroupId,
            GroupIndex = options?.GroupIndex,
            Shadow = options?.Shadow,
            Lang = "py",
            Origin = _origin,
            ExtraHeaders = headers,
        };

        // Subscribe to the result before publishing, as Celery does (celery-wire-format.md §2.6).
        var registration = message.IgnoreResult ? null : backend.Register(id);
        try
        {
            await broker.PublishAsync(message, queue, cancellationToken).ConfigureAwait(false);
            if (_sendSentEvents)
            {
                events.Sent(message, exchange: string.Empty, routingKey: queue, queue);
            }
        }
        catch (Exception ex)
        {
            if (registration is not null)
            {
                backend.Release(registration);
            }

            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error);
            throw;
        }

        TaskEngineDiagnostics.Published.Add(1, TaskEngineDiagnostics.TaskTags(taskName, queue));
        return new TaskResult(id, backend, registration);
    }

    public Task<TaskResult> SendAsync<TArgs>(
        string taskName,
        TArgs args,
        TaskSendOptions? options = null,
        CancellationToken cancellationToken = default)
        where TArgs : notnull
    {
        var element = JsonSerializer.SerializeToElement(args, TaskJson.Options);
        if (element.ValueKind == JsonValueKind.Array)
        {
            return SendAsync(taskName, [.. element.EnumerateArray()], null, options, cancellationToken);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return SendAsync(taskName, [element], null, options, cancellationToken);
        }

        var kwargs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            kwargs[property.Name] = property.Value;
        }

        return SendAsync(taskName, null, kwargs, options, cancellationToken);
    }

    public TaskResult GetResult(string taskId) => new(taskId, backend);

    public Task RevokeAsync(string taskId, CancellationToken cancellationToken = default) =>
        backend.RevokeAsync(taskId, cancellationToken);

    /// <summary>A Celery-style id: a lower-case UUID string (version 7, so ids sort by time).</summary>
    internal static string NewTaskId() => Guid.CreateVersion7().ToString("D");
}
