using Onboarding.Contracts.Events;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Events;

namespace Onboarding.UserService.EventHandlers;

/// <summary>
/// <c>user.deleted</c>: revokes the deleted user's workflow tasks that have not finished, so no onboarding step runs
/// against a user who is gone. Idempotent: revoking a task twice, or one already finished, changes nothing.
/// </summary>
internal sealed class RevokePendingTasksOnUserDeleted(ITaskClient tasks, ILogger<RevokePendingTasksOnUserDeleted> logger)
    : IEventHandler<UserDeleted>
{
    public async Task HandleAsync(UserDeleted payload, EventContext context, CancellationToken cancellationToken)
    {
        var revoked = 0;
        foreach (var taskId in payload.TaskIds ?? [])
        {
            if (!(await tasks.GetResult(taskId).GetStateAsync(cancellationToken)).IsReady())
            {
                await tasks.RevokeAsync(taskId, cancellationToken);
                revoked++;
            }
        }

        UserServiceLog.PendingTasksRevoked(logger, payload.UserId, revoked, context.Envelope.EventId);
    }
}
