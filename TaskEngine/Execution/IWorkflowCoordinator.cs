using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// What the worker does with a finished task's <c>embed</c> (Celery's trace and backend hooks). The executor calls
/// <see cref="OnSucceededAsync"/> before storing a SUCCESS, <see cref="OnSuccessStoredAsync"/> after it, and
/// <see cref="OnFailedAsync"/> after storing a FAILURE or REVOKED. The workflow runtime implements it
/// (<c>Workflows/WorkflowCoordinator</c>): the executor depends on the hooks, not on the runtime.
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

    /// <summary>
    /// After SUCCESS is stored: the chord part return (docs/wire-format.md, "Counting parts"), firing the body when
    /// this part completes it.
    /// </summary>
    Task OnSuccessStoredAsync(TaskMessage message, object? value, CancellationToken cancellationToken);

    /// <summary>After FAILURE/REVOKED is stored: the chord part return, then (FAILURE only) errbacks and compensations.</summary>
    Task OnFailedAsync(TaskMessage message, TaskState state, ExceptionInfo exception, CancellationToken cancellationToken);

    /// <summary>Applies a canvas from inside a running task (its children get parent_id = that task).</summary>
    Task<ResultTuple?> ApplyAsync(Signature signature, PartialArgs partial, TaskMessage parent, CancellationToken cancellationToken);
}
