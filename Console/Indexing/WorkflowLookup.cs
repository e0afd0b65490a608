using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OperationsConsole.Indexing;

/// <summary>A workflow tree together with the id it was found under.</summary>
public sealed record WorkflowTree(string RootId, WorkflowNode Root);

/// <summary>Finds the workflow of any of its tasks: through the root id the task's events carried, else the id itself.</summary>
public static class WorkflowLookup
{
    public static async Task<WorkflowTree?> FindAsync(TaskIndex index, IWorkflowStatusReader workflows, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(workflows);
        var task = await index.GetAsync(id).ConfigureAwait(false);
        foreach (var candidate in new[] { task?.RootId, id }.OfType<string>().Distinct(StringComparer.Ordinal))
        {
            if (await workflows.GetAsync(candidate, cancellationToken).ConfigureAwait(false) is { } root)
            {
                return new WorkflowTree(candidate, root);
            }
        }

        return null;
    }
}
