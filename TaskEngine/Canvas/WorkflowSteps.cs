using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>A task that has just finished on this worker: what the continuation logic needs from its request.</summary>
/// <param name="TaskId">The task id.</param>
/// <param name="RootId">The request's <c>root_id</c> (null: the task is its own root).</param>
/// <param name="Embed">The message embed (callbacks, errbacks, chain, chord).</param>
/// <param name="Priority">The delivery priority, passed on to what it publishes (Celery's <c>task_priority</c>).</param>
internal sealed record FinishedTask(string TaskId, string? RootId, MessageEmbed Embed, int? Priority = null)
{
    public string EffectiveRootId => RootId ?? TaskId;
}

/// <summary>
/// What a worker publishes after a task finishes, as pure functions (Celery 5.2's <c>celery/app/trace.py</c> and
/// <c>celery/backends/base.py</c>). Every signature arrives as a dict, so, as in a Python worker, every chord it
/// applies gets a new group id.
/// </summary>
internal sealed class WorkflowSteps(CanvasPlanner planner)
{
    /// <summary>
    /// On success: the callbacks with <c>(retval,) + args</c> (one alone, two or more as a group; a callback that is
    /// itself a group is applied on its own), then the next chain step (the last element of <c>embed.chain</c>) with the
    /// result prepended unless immutable and the rest of the chain passed on. Children get parent_id = this task and
    /// root_id = its root.
    /// </summary>
    public PublishPlan OnSuccess(FinishedTask task, JsonElement result)
    {
        ArgumentNullException.ThrowIfNull(task);
        var run = planner.Begin(new PlanContext(task.TaskId, task.EffectiveRootId), appliedByWorker: true);
        var partial = PartialArgs.Of(result);
        var call = new SignatureOptions { ParentId = task.TaskId, RootId = task.EffectiveRootId, Priority = task.Priority };
        var callbacks = task.Embed.Callbacks ?? [];
        if (callbacks.Count == 1)
        {
            run.Apply(callbacks[0], partial, call);
        }
        else if (callbacks.Count > 1)
        {
            foreach (var group in callbacks.OfType<Group>())
            {
                run.Apply(group, partial, call);
            }

            var signatures = callbacks.Where(callback => callback is not Group).ToList();
            if (signatures.Count > 0)
            {
                run.Apply(new Group(signatures), partial, call);
            }
        }

        if (task.Embed.Chain is { Count: > 0 } chain)
        {
            run.Apply(chain[^1], partial, call with { Chain = [.. chain.Take(chain.Count - 1)] });
        }

        return run.ToPlan();
    }

    /// <summary>
    /// On failure: the errbacks, sent as one group with args <c>(failed_task_id,)</c>, parent_id = the failed task.
    /// (A Python worker runs "new-style" errbacks <c>(request, exc, traceback)</c> inline; a .NET worker cannot, so
    /// errbacks meant to cross runtimes must take one argument, the task id.) The rest of the chain is dropped.
    /// </summary>
    public PublishPlan OnFailure(FinishedTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        var run = planner.Begin(new PlanContext(task.TaskId, task.EffectiveRootId), appliedByWorker: true);
        if (task.Embed.Errbacks is { Count: > 0 } errbacks)
        {
            var taskId = JsonArgs.ToElement(task.TaskId);
            run.Apply(
                new Group(errbacks),
                PartialArgs.Of(taskId),
                new SignatureOptions { ParentId = task.TaskId, RootId = task.EffectiveRootId });
        }

        return run.ToPlan();
    }

    /// <summary>
    /// The last chord part has returned: apply the body with the header results (ordered by group_index) as its first
    /// argument. As observed with Celery 5.2, the body's parent_id and root_id default to the last header task.
    /// </summary>
    public PublishPlan OnChordCompleted(Signature body, IReadOnlyList<JsonElement> results, string lastHeaderTaskId)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(results);
        var run = planner.Begin(new PlanContext(lastHeaderTaskId, lastHeaderTaskId), appliedByWorker: true);
        run.Apply(body, PartialArgs.Of(JsonArgs.ToElement(results)), SignatureOptions.None);
        return run.ToPlan();
    }

    /// <summary>Applies a signature that arrived as data (e.g. a nested chord inside a chain), the way a worker does.</summary>
    public PublishPlan Apply(Signature signature, PartialArgs partial, FinishedTask parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var call = new SignatureOptions { ParentId = parent.TaskId, RootId = parent.EffectiveRootId, Priority = parent.Priority };
        return planner.Apply(signature, partial, call, new PlanContext(parent.TaskId, parent.EffectiveRootId), appliedByWorker: true);
    }
}
