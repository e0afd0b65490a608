using Onboarding.TaskEngine.Canvas;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>Starts workflows (Celery's <c>canvas.apply_async()</c>) and restores saved group results.</summary>
public interface IWorkflowClient
{
    /// <summary>
    /// Plans and publishes a canvas: chord sizes and saved groups are written first, then the messages (with confirms).
    /// Returns the handle Celery returns: a chain's last task (its <c>GetAsync</c> follows parents), a group's
    /// <see cref="GroupResult"/>, a chord's body.
    /// </summary>
    Task<WorkflowResult> ApplyAsync(Signature canvas, CancellationToken cancellationToken = default);

    /// <summary>Celery's <c>GroupResult.restore(gid)</c>: reads <c>celery-taskset-meta-&lt;gid&gt;</c>; null when absent.</summary>
    Task<GroupResult?> RestoreGroupAsync(string groupId, CancellationToken cancellationToken = default);
}
