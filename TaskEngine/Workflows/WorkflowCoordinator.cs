using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// What the worker does with a finished task's <c>embed</c> (Celery's trace and backend hooks). The executor calls
/// <see cref="OnSucceededAsync"/> before storing a SUCCESS, <see cref="OnSuccessStoredAsync"/> after it, and
/// <see cref="OnFailedAsync"/> after storing a FAILURE or REVOKED.
/// </summary>
internal interface IWorkflowCoordinator
{
    /// <summary>
    /// Publishes the callbacks and the next chain step (before the result is stored, as Celery does), unless
    /// <paramref name="rerunCheck"/> (from <see cref="StartRerunCheck"/>, null when the message is not a possible
    /// duplicate) finds this task's SUCCESS stored. Returns the <c>children</c> JSON for the task's meta, or null when
    /// nothing was published.
    /// </summary>
    Task<string?> OnSucceededAsync(TaskMessage message, object? value, Task<bool>? rerunCheck, CancellationToken cancellationToken);

    /// <summary>
    /// For a possible duplicate with children to send (callbacks, the rest of a chain): starts the check whether its
    /// SUCCESS is stored already, i.e. whether another copy ran and sent the children. Null when there is nothing to check.
    /// </summary>
    Task<bool>? StartRerunCheck(TaskMessage message);

    /// <summary>After SUCCESS is stored: the chord part return (§2.7), firing the body when this part completes it.</summary>
    Task OnSuccessStoredAsync(TaskMessage message, object? value, CancellationToken cancellationToken);

    /// <summary>After FAILURE/REVOKED is stored: the chord part return, then (FAILURE only) errbacks and compensations.</summary>
    Task OnFailedAsync(TaskMessage message, TaskState state, ExceptionInfo exception, CancellationToken cancellationToken);

    /// <summary>Applies a canvas from inside a running task (its children get parent_id = that task).</summary>
    Task<ResultTuple?> ApplyAsync(Signature signature, PartialArgs partial, TaskMessage parent, CancellationToken cancellationToken);
}

/// <inheritdoc cref="IWorkflowCoordinator"/>
internal sealed class WorkflowCoordinator(
    WorkflowPublisher publisher,
    IWorkflowStore store,
    IResultBackend backend,
    TimeProvider timeProvider,
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
            ? ChordPartReturnAsync(message, message.Id, message.GroupId, message.GroupIndex, "SUCCESS", ToElement(value), message.Chord.Value, cancellationToken)
            : Task.CompletedTask;

    public async Task OnFailedAsync(TaskMessage message, TaskState state, ExceptionInfo exception, CancellationToken cancellationToken)
    {
        var failure = ExceptionElement(exception);
        var embed = ReadEmbed(message);
        if (message.Chord is { ValueKind: JsonValueKind.Object } chord && message.GroupId is { } groupId)
        {
            await ChordPartReturnAsync(message, message.Id, groupId, message.GroupIndex, state.ToWireName(), failure, chord, cancellationToken)
                .ConfigureAwait(false);
        }

        // Celery's mark_as_failure: later chain steps that belong to a chord header will never run; count them as failed.
        foreach (var step in embed.Chain ?? [])
        {
            if (step.Options is { Chord: { } body, GroupId: { } stepGroup, TaskId: { } stepId })
            {
                var bodyJson = JsonDocument.Parse(body.ToJson()).RootElement.Clone();
                await ChordPartReturnAsync(message, stepId, stepGroup, step.Options.GroupIndex, state.ToWireName(), failure, bodyJson, cancellationToken)
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

    // §2.7 with a Lua script that counts each task id once, plus a SET NX "fired" flag naming the part that took it:
    // one part sends the body. The chord's keys are deleted only once the body (or its failure) is out, so that if
    // that part's worker dies in between, the part, redelivered, finds its chord complete and its own name on the
    // flag, and sends the body again, marked as a possible duplicate (the body's worker then checks for a stored
    // SUCCESS first). Without that, a crash in that window lost the body.
    private async Task ChordPartReturnAsync(
        TaskMessage message, string taskId, string groupId, int? groupIndex, string state, JsonElement result, JsonElement chord,
        CancellationToken cancellationToken)
    {
        // Python's json.dumps([1, tid, state, result]) separators, so members look alike whoever wrote them.
        var member = string.Concat("[1, ", JsonSerializer.Serialize(taskId, TaskJson.Options), ", \"", state, "\", ", result.GetRawText(), "]");
        var part = await store.AddChordPartAsync(groupId, groupIndex, member, taskId, cancellationToken).ConfigureAwait(false);
        if (!part.IsComplete)
        {
            return;
        }

        var again = false;
        if (!await store.TryTakeFiredAsync(groupId, taskId, cancellationToken).ConfigureAwait(false))
        {
            if (!message.PossibleDuplicate || await store.GetFiredByAsync(groupId, cancellationToken).ConfigureAwait(false) != taskId)
            {
                return;
            }

            again = true;
            WorkflowLog.ChordFiringAgain(logger, groupId, taskId);
        }

        var body = Signature.FromJson(chord);
        var rootId = message.RootId ?? message.Id;
        IReadOnlyList<JsonElement> results;
        try
        {
            results = await JoinAsync(groupId, cancellationToken).ConfigureAwait(false);
        }
        catch (ChordFailedException ex)
        {
            await FailChordBodyAsync(body, rootId, ex.Message, again, cancellationToken).ConfigureAwait(false);
            await store.DeleteChordAsync(groupId).ConfigureAwait(false);
            return;
        }

        WorkflowLog.ChordFiring(logger, groupId, body.Task, taskId);
        var plan = _steps.OnChordCompleted(body, results, taskId);
        await publisher.PublishAsync(again ? MarkedPossibleDuplicates(plan) : plan, rootId, null, cancellationToken).ConfigureAwait(false);
        await store.DeleteChordAsync(groupId).ConfigureAwait(false);
    }

    private static PublishPlan MarkedPossibleDuplicates(PublishPlan plan) => plan with
    {
        Messages = [.. plan.Messages.Select(message => message with
        {
            Options = message.Options with
            {
                Headers = new Dictionary<string, JsonElement>(message.Options.Headers ?? new Dictionary<string, JsonElement>(), StringComparer.Ordinal)
                {
                    [MessageHeaders.PossibleDuplicate] = JsonArgs.ToElement(true),
                },
            },
        })],
    };

    // Results ordered by group_index; a saved group (complex header) is joined from the task metas instead.
    private async Task<IReadOnlyList<JsonElement>> JoinAsync(string groupId, CancellationToken cancellationToken)
    {
        if (await store.GetGroupAsync(groupId, cancellationToken).ConfigureAwait(false) is { } saved)
        {
            var group = ResultTuple.ReadGroupMeta(saved);
            var values = new List<JsonElement>();
            foreach (var child in group.Children ?? [])
            {
                values.Add(await JoinResultAsync(child, cancellationToken).ConfigureAwait(false));
            }

            return values;
        }

        var parts = await store.GetChordPartsAsync(groupId, cancellationToken).ConfigureAwait(false);
        foreach (var part in parts)
        {
            if (part.State is "FAILURE" or "REVOKED")
            {
                throw new ChordFailedException(part.TaskId, part.Result);
            }
        }

        return [.. parts.Select(part => part.Result)];
    }

    private async Task<JsonElement> JoinResultAsync(ResultTuple result, CancellationToken cancellationToken)
    {
        if (result.Children is { } children)
        {
            var values = new List<JsonElement>(children.Count);
            foreach (var child in children)
            {
                values.Add(await JoinResultAsync(child, cancellationToken).ConfigureAwait(false));
            }

            return JsonArgs.ToElement(values);
        }

        var meta = await backend.WaitAsync(result.Id, null, TimeSpan.FromSeconds(3), cancellationToken).ConfigureAwait(false);
        return meta.State == TaskState.Success ? meta.Result : throw new ChordFailedException(result.Id, meta.Result);
    }

    // chord_error_from_stack: FAILURE ChordError under the body's id, then the body's errbacks with that id.
    private async Task FailChordBodyAsync(Signature body, string rootId, string reason, bool again, CancellationToken cancellationToken)
    {
        var bodyId = ResultId(body);
        if (bodyId is null)
        {
            return;
        }

        var info = ExceptionInfo.Create("ChordError", "celery.exceptions", reason);
        await backend.StoreAsync(
            bodyId,
            ResultMetaWriter.Exception(bodyId, TaskState.Failure, info, null, timeProvider.GetUtcNow(), null, null),
            cancellationToken).ConfigureAwait(false);
        var errbacks = (body is Chain { Tasks.Count: > 0 } chain ? chain.Tasks[0] : body).Options.LinkError;
        if (errbacks is { Count: > 0 })
        {
            var plan = _steps.OnFailure(new FinishedTask(bodyId, rootId, new MessageEmbed(Errbacks: errbacks)));
            await publisher.PublishAsync(again ? MarkedPossibleDuplicates(plan) : plan, rootId, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? ResultId(Signature signature) => signature switch
    {
        Chain { Tasks.Count: > 0 } chain => ResultId(chain.Tasks[^1]),
        Chord chord => ResultId(chord.Body),
        _ => signature.Options.TaskId,
    };

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

    /// <summary>A header part failed: Celery's <c>ChordError("Dependency &lt;tid&gt; raised &lt;repr(exc)&gt;")</c>.</summary>
    private sealed class ChordFailedException(string taskId, JsonElement exception) : Exception(Describe(taskId, exception))
    {
        private static string Describe(string taskId, JsonElement exception)
        {
            var type = exception.ValueKind == JsonValueKind.Object && exception.TryGetProperty("exc_type", out var t) ? t.GetString() : "Exception";
            var args = exception.ValueKind == JsonValueKind.Object && exception.TryGetProperty("exc_message", out var m) ? m : default;
            var repr = args.ValueKind switch
            {
                JsonValueKind.Array => string.Join(", ", args.EnumerateArray().Select(Repr)),
                JsonValueKind.Undefined or JsonValueKind.Null => string.Empty,
                _ => Repr(args),
            };
            return $"Dependency {taskId} raised {type}({repr})";
        }

        private static string Repr(JsonElement value) => value.ValueKind == JsonValueKind.String
            ? "'" + value.GetString()?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'"
            : value.GetRawText();
    }
}
