using System.Text.Json;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Publishing;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// The running side of a <see cref="Chord"/>: every header part, once its state is stored, returns here; the part
/// that completes the count joins the header results (ordered by group_index) and sends the body, or, when a part
/// failed, stores the body's <c>ChordError</c> and sends its errbacks. The counters live in the result backend, in
/// Celery's keys (<see cref="IWorkflowStore"/>), so Python workers in the same chord count with ours.
/// </summary>
internal sealed class ChordCounter(
    WorkflowPublisher publisher,
    IWorkflowStore store,
    IResultBackend backend,
    TimeProvider timeProvider,
    ILogger<ChordCounter> logger)
{
    private readonly WorkflowSteps _steps = new(new CanvasPlanner(TaskClient.NewTaskId));

    /// <summary>
    /// Counts a header part's return (a SUCCESS, FAILURE or REVOKED stored for <paramref name="taskId"/>) and, when it
    /// completes the chord, sends the body with the header results, or its failure.
    /// </summary>
    // Celery's part return, with a Lua script that counts each task id once, plus a SET NX "fired" flag naming the
    // part that took it: one part sends the body. The chord's keys are deleted only once the body (or its failure)
    // is out, so that if that part's worker dies in between, the part, redelivered, finds its chord complete and its
    // own name on the flag, and sends the body again, marked as a possible duplicate (the body's worker then checks
    // for a stored SUCCESS first). Without that, a crash in that window lost the body.
    public async Task PartReturnedAsync(
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
