using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Scheduling;

namespace Onboarding.Workers.Schedules;

/// <summary>
/// The seed's celery-beat schedule, declared in code. Every worker runs with <c>--beat</c>; a Redis lease makes one
/// replica fire each tick. Configuration overrides an entry by name: <c>TaskEngine:Schedules:&lt;name&gt;:{Task,
/// Cron | Interval, Args, Queue}</c> replaces the code's entry of that name (the engine reads the configured ones).
/// </summary>
internal static class PeriodicTasks
{
    public const string RegistrationStatsRollup = "registration-stats-rollup";
    public const string ExpireUnpaidOrders = "expire-unpaid-orders";
    public const string RetryFailedNotifications = "retry-failed-notifications";

    public static ITaskEngineBuilder AddOnboardingSchedules(this ITaskEngineBuilder builder, IConfiguration configuration)
    {
        var configured = configuration.GetSection("TaskEngine:Schedules").GetChildren()
            .Select(s => s.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
        void Add(string name, string task, Schedule schedule)
        {
            if (!configured.Contains(name))
            {
                builder.AddPeriodicTask(name, task, schedule);
            }
        }

        // Nightly at 02:00 UTC: the registration statistics roll-up.
        Add(RegistrationStatsRollup, UserTasks.RollupRegistrationStats, Schedule.Cron("0 2 * * *"));
        // Every minute: orders unpaid after Orders:UnpaidTimeout (OrderService's setting) expire.
        Add(ExpireUnpaidOrders, OrderTasks.ExpireUnpaidOrders, Schedule.Every(TimeSpan.FromMinutes(1)));
        // Every five minutes: notifications whose SMTP send failed are sent again.
        Add(RetryFailedNotifications, NotificationTasks.RetryFailedNotifications, Schedule.Every(TimeSpan.FromMinutes(5)));
        return builder;
    }
}
