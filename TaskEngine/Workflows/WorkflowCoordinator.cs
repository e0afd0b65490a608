using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Publishing;

namespace Onboarding.TaskEngine.Workflows;

/// <inheritdoc cref="IWorkflowCoordinator"/>
internal sealed class WorkflowCoordinator(
    WorkflowPublisher publisher,
    ChordCounter chords,
    IResultBackend backend,
    ILogger<WorkflowCoordinator> logger) : IWorkflowCoordinator
{
    private readonly WorkflowSteps _steps = new(new CanvasPlanner(TaskClient.NewTaskId));

    public async Task<string?> OnSucceededAsync(TaskMessage message, object? value, Task<bool>? rerunCheck, CancellationToken cancellationToken)
    {
        var embed = ReadEmbed(message);
        if (embed.Callbacks is not { Count: > 0 } && embed.Chain is not { Count: > 0 })
        {
            return null;
        }

        if (rerunCheck is not null && await rerunCheck.ConfigureAwait(false))
        {
            return null;
        }

        var result = ToElement(value);
        var finished = Finished(message, embed);
        var plan = _steps.OnSuccess(finished, result);
        var headers = CompensationsForNextStep(message, embed, result);
        await publisher.PublishAsync(plan, finished.EffectiveRootId, headers, cancellationToken).ConfigureAwait(false);
        return plan.Results.Count > 0 ? ResultTuple.ChildrenJson(plan.Results) : null;
    }

    public Task<bool>? StartRerunCheck(TaskMessage message) =>
        IsNonEmptyList(message.Callbacks) || IsNonEmptyList(message.Chain) ? IsSucceededAsync(message.Id) : null;

    private static bool IsNonEmptyList(JsonElement? element) =>
        element is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0;

    private async Task<bool> IsSucceededAsync(string taskId) =>
        await backend.GetAsync(taskId, CancellationToken.None).ConfigureAwait(false) is { State: TaskState.Success };

    public Task OnSuccessStoredAsync(TaskMessage message, object? value, CancellationToken cancellationToken) =>
        message.Chord is { ValueKind: JsonValueKind.Object } && message.GroupId is not null
            ? chords.PartReturnedAsync(message, message.Id, message.GroupId, message.GroupIndex, "SUCCESS", ToElement(value), message.Chord.Value, cancellationToken)
            : Task.CompletedTask;

    public async Task OnFailedAsync(TaskMessage message, TaskState state, ExceptionInfo exception, CancellationToken cancellationToken)
    {
        var failure = ExceptionElement(exception);
        var embed = ReadEmbed(message);
        if (message.Chord is { ValueKind: JsonValueKind.Object } chord && message.GroupId is { } groupId)
        {
            await chords.PartReturnedAsync(message, message.Id, groupId, message.GroupIndex, state.ToWireName(), failure, chord, cancellationToken)
                .ConfigureAwait(false);
        }

        // Celery's mark_as_failure: later chain steps that belong to a chord header will never run; count them as failed.
        foreach (var step in embed.Chain ?? [])
        {
            if (step.Options is { Chord: { } body, GroupId: { } stepGroup, TaskId: { } stepId })
            {
                var bodyJson = JsonDocument.Parse(body.ToJson()).RootElement.Clone();
                await chords.PartReturnedAsync(message, stepId, stepGroup, step.Options.GroupIndex, state.ToWireName(), failure, bodyJson, cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        if (state != TaskState.Failure)
        {
            return;
        }

        var finished = Finished(message, embed);
        var errbacks = _steps.OnFailure(finished);
        if (errbacks.Messages.Count > 0)
        {
            await publisher.PublishAsync(errbacks, finished.EffectiveRootId, null, cancellationToken).ConfigureAwait(false);
        }

        await CompensateAsync(message, finished, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ResultTuple?> ApplyAsync(Signature signature, PartialArgs partial, TaskMessage parent, CancellationToken cancellationToken)
    {
        var finished = Finished(parent, MessageEmbed.Empty);
        var plan = _steps.Apply(signature, partial, finished);
        await publisher.PublishAsync(plan, finished.EffectiveRootId, null, cancellationToken).ConfigureAwait(false);
        return plan.Result;
    }

    // Compensation (beyond Celery): a step that succeeded hands the next chain step the list of compensations so far,
    // its own (header x-onboarding-compensation) appended with its id and result.
    private static Dictionary<string, string>? CompensationsForNextStep(TaskMessage message, MessageEmbed embed, JsonElement result)
    {
        if (embed.Chain is not { Count: > 0 } chain || chain[^1].Options.TaskId is not { } nextId)
        {
            return null;
        }

        var entries = ReadCompensations(message);
        var own = Header(message, WorkflowPublisher.CompensationHeader);
        if (own is null && entries.Count == 0)
        {
            return null;
        }

        var json = CanvasJson.WriteToString(writer =>
        {
            writer.WriteStartArray();
            foreach (var entry in entries)
            {
                entry.WriteTo(writer);
            }

            if (own is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("task_id", message.Id);
                writer.WritePropertyName("result");
                result.WriteTo(writer);
                writer.WritePropertyName("signature");
                writer.WriteRawValue(own);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });
        return new Dictionary<string, string>(StringComparer.Ordinal) { [nextId] = json };
    }

    // The failed step's completed predecessors are compensated newest first, one after another (an immutable chain):
    // each compensation receives (failed_task_id, step_result, *its own args).
    private async Task CompensateAsync(TaskMessage message, FinishedTask finished, CancellationToken cancellationToken)
    {
        var entries = ReadCompensations(message);
        if (entries.Count == 0)
        {
            return;
        }

        var steps = new List<Signature>(entries.Count);
        for (var i = entries.Count - 1; i >= 0; i--)
        {
            var entry = entries[i];
            var signature = Signature.FromJson(entry.GetProperty("signature"));
            var stepResult = entry.TryGetProperty("result", out var value) ? value : JsonArgs.Null;
            steps.Add(signature with { Args = [JsonArgs.ToElement(message.Id), stepResult, .. signature.Args], IsImmutable = true });
        }

        WorkflowLog.Compensating(logger, message.Id, steps.Count);
        var plan = _steps.Apply(steps.Count == 1 ? steps[0] : new Chain(steps), PartialArgs.None, finished);
        await publisher.PublishAsync(plan, finished.EffectiveRootId, null, cancellationToken).ConfigureAwait(false);
    }

    private static List<JsonElement> ReadCompensations(TaskMessage message)
    {
        if (Header(message, WorkflowPublisher.CompensationsHeader) is not { } json)
        {
            return [];
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.ValueKind == JsonValueKind.Array
            ? [.. document.RootElement.EnumerateArray().Select(entry => entry.Clone())]
            : [];
    }

    private static string? Header(TaskMessage message, string name) =>
        message.ExtraHeaders.TryGetValue(name, out var value) ? value switch
        {
            string text => text,
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            _ => null,
        } : null;

    private static FinishedTask Finished(TaskMessage message, MessageEmbed embed) =>
        new(message.Id, message.RootId, embed, message.Priority == 0 ? null : message.Priority);

    internal static MessageEmbed ReadEmbed(TaskMessage message) => new(
        message.Callbacks is { } callbacks ? CanvasJson.ReadListOrNull(callbacks) : null,
        message.Errbacks is { } errbacks ? CanvasJson.ReadListOrNull(errbacks) : null,
        message.Chain is { } chain ? CanvasJson.ReadListOrNull(chain) : null,
        message.Chord is { ValueKind: JsonValueKind.Object } chord ? CanvasJson.Read(chord) : null);

    internal static JsonElement ToElement(object? value) => value switch
    {
        JsonElement element => element,
        null => JsonArgs.Null,
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), TaskJson.Options),
    };

    private static JsonElement ExceptionElement(ExceptionInfo exception)
    {
        var json = CanvasJson.WriteToString(writer => ResultMetaWriter.WriteException(writer, exception));
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
