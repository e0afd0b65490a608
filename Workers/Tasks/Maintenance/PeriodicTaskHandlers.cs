using Onboarding.TaskEngine.Abstractions;
using Onboarding.Workers.Clients;

namespace Onboarding.Workers.Tasks.Maintenance;

// The tasks the periodic schedules send (Schedules/PeriodicTasks.cs). Each asks the owning service to do the work
// through its API; each is idempotent (a second run finds nothing left to do, or stores the same roll-up again).

/// <summary><c>rollup_registration_stats</c>: UserService computes and stores the registration statistics.</summary>
internal sealed class RollupRegistrationStatsHandler(UserServiceClient users) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
        await users.RollupRegistrationsAsync(cancellationToken);
}

/// <summary><c>expire_unpaid_orders</c>: OrderService expires orders unpaid after its timeout and releases their stock.</summary>
internal sealed class ExpireUnpaidOrdersHandler(OrderServiceClient orders) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
        await orders.ExpireUnpaidAsync(cancellationToken);
}

/// <summary><c>retry_failed_notifications</c>: NotificationService sends again the emails whose send failed.</summary>
internal sealed class RetryFailedNotificationsHandler(NotificationServiceClient notifications) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
        await notifications.RetryFailedAsync(cancellationToken);
}
