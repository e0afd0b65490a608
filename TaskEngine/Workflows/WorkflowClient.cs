using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Publishing;

namespace Onboarding.TaskEngine.Workflows;

/// <inheritdoc cref="IWorkflowClient"/>
internal sealed class WorkflowClient(WorkflowPublisher publisher, WorkflowResultServices services) : IWorkflowClient
{
    private readonly CanvasPlanner _planner = new(TaskClient.NewTaskId);

    public async Task<WorkflowResult> ApplyAsync(Signature canvas, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(canvas);
        var plan = _planner.Plan(canvas);
        var tuple = plan.Result ?? throw new ArgumentException("The canvas is empty: nothing to apply.", nameof(canvas));
        var result = WorkflowResult.From(tuple, services);
        await publisher.PublishAsync(plan, result.RootId, null, cancellationToken).ConfigureAwait(false);
        return result;
    }

    public async Task<GroupResult?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var json = await services.Store.GetGroupAsync(groupId, cancellationToken).ConfigureAwait(false);
        return json is null ? null : WorkflowResult.From(ResultTuple.ReadGroupMeta(json), services) as GroupResult;
    }
}
