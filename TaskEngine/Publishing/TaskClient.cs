using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Publishing;

/// <summary>Sends tasks: one message each (built by <see cref="TaskMessageFactory"/>), published with confirms.</summary>
internal sealed class TaskClient(
    ITaskBroker broker,
    IResultBackend backend,
    TaskMessageFactory messages) : ITaskClient
{
    public async Task<TaskResult> SendAsync(
        string taskName,
        IReadOnlyList<JsonElement>? args = null,
        IReadOnlyDictionary<string, JsonElement>? kwargs = null,
        TaskSendOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        var headers = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (options?.Headers is { } custom)
        {
            foreach (var (key, value) in custom)
            {
                headers[key] = value;
            }
        }

        if (options?.TaskId is not null)
        {
            headers[MessageHeaders.CallerChosenId] = true;
        }

        using var outgoing = messages.Create(new TaskMessageRequest
        {
            Id = options?.TaskId ?? NewTaskId(),
            Name = taskName,
            Headers = headers,
            Args = args,
            Kwargs = kwargs,
            Queue = options?.Queue,
            Eta = options?.Eta,
            Countdown = options?.Countdown,
            Expires = options?.Expires,
            ExpiresIn = options?.ExpiresIn,
            Priority = options?.Priority ?? 0,
            TimeLimit = options?.TimeLimit?.TotalSeconds,
            SoftTimeLimit = options?.SoftTimeLimit?.TotalSeconds,
            IgnoreResult = options?.IgnoreResult,
            ParentId = options?.ParentId,
            RootId = options?.RootId,
            GroupId = options?.GroupId,
            GroupIndex = options?.GroupIndex,
            Shadow = options?.Shadow,
        });
        var message = outgoing.Message;

        // Subscribe to the result before publishing, as Celery does: a result stored before the subscription
        // would otherwise be seen only by the next poll.
        var registration = message.IgnoreResult ? null : backend.Register(message.Id);
        try
        {
            await broker.PublishAsync(message, outgoing.Queue, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            if (registration is not null)
            {
                backend.Release(registration);
            }

            outgoing.Failed(ex);
            throw;
        }

        messages.Published(outgoing);
        return new TaskResult(message.Id, backend, registration);
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
