using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.Workers.Tasks.Maintenance;
using Onboarding.Workers.Tasks.Notifications;
using Onboarding.Workers.Tasks.Orders;
using Onboarding.Workers.Tasks.Users;
using Polly.Timeout;

namespace Onboarding.Workers.Tasks;

/// <summary>Registers the seed's tasks under their wire names. Routes send each to its queue.</summary>
internal static class TaskRegistrations
{
    /// <summary>
    /// Every task calls a service over HTTP through the standard resilience handler (retries, timeouts, circuit
    /// breaker); when that gives up, or the circuit is open, the task itself retries with Celery's backoff.
    /// Domain failures (declined payment, 4xx answers) are not retried.
    /// </summary>
    private static void RetryOnTransient(TaskOptions options)
    {
        options.MaxRetries = 5;
        options.RetryBackoff = TimeSpan.FromSeconds(2);
        options.RetryBackoffMax = TimeSpan.FromMinutes(2);
        options.RetryOnException<HttpRequestException>()
            .RetryOnException<TimeoutRejectedException>()
            .RetryOnException<Polly.CircuitBreaker.BrokenCircuitException>();
    }

    /// <summary>
    /// validate_inventory checks the user of an order accepted while UserService was down: it keeps asking for about
    /// as long as an order may stay unpaid (12 retries, backoff up to 2 minutes) before the task gives up.
    /// </summary>
    private static void RetryUntilUserServiceAnswers(TaskOptions options)
    {
        RetryOnTransient(options);
        options.MaxRetries = 12;
    }

    public static ITaskEngineBuilder AddOnboardingTasks(this ITaskEngineBuilder builder) => builder
        .AddTask<UserTaskArgs, ValidateUserDataHandler>(UserTasks.ValidateUserData, RetryOnTransient)
        .AddTask<UserTaskArgs, CreateUserProfileHandler>(UserTasks.CreateUserProfile, RetryOnTransient)
        .AddTask<UserTaskArgs, AssignUserRoleHandler>(UserTasks.AssignUserRole, RetryOnTransient)
        .AddTask<UserTaskArgs, SendWelcomeEmailHandler>(UserTasks.SendWelcomeEmail, RetryOnTransient)
        .AddTask<UserTaskArgs, CreateUserPreferencesHandler>(UserTasks.CreateUserPreferences, RetryOnTransient)
        .AddTask<UserTaskArgs, SetupDefaultSettingsHandler>(UserTasks.SetupDefaultSettings, RetryOnTransient)
        .AddTask<UserTaskArgs, NotifyAdministratorsHandler>(UserTasks.NotifyAdministrators, RetryOnTransient)
        .AddTask<UserTaskArgs, FinalizeOnboardingHandler>(UserTasks.FinalizeOnboarding, RetryOnTransient)
        .AddTask<UpdateUserProfileArgs, UpdateUserProfileHandler>(UserTasks.UpdateUserProfile, RetryOnTransient)
        .AddTask<NoArgs, RollupRegistrationStatsHandler>(UserTasks.RollupRegistrationStats, RetryOnTransient);

    public static ITaskEngineBuilder AddOrderTasks(this ITaskEngineBuilder builder) => builder
        .AddTask<OrderTaskArgs, ValidateInventoryHandler>(OrderTasks.ValidateInventory, RetryUntilUserServiceAnswers)
        .AddTask<OrderTaskArgs, CalculateShippingHandler>(OrderTasks.CalculateShipping, RetryOnTransient)
        .AddTask<OrderTaskArgs, ProcessPaymentHandler>(OrderTasks.ProcessPayment, RetryOnTransient)
        .AddTask<OrderTaskArgs, SendConfirmationHandler>(OrderTasks.SendConfirmation, RetryOnTransient)
        .AddTask<OrderTaskArgs, ReserveInventoryHandler>(OrderTasks.ReserveInventory, RetryOnTransient)
        .AddTask<OrderTaskArgs, CalculateTaxesHandler>(OrderTasks.CalculateTaxes, RetryOnTransient)
        .AddTask<OrderTaskArgs, ValidateShippingAddressHandler>(OrderTasks.ValidateShippingAddress, RetryOnTransient)
        .AddTask<OrderTaskArgs, CheckFraudScoreHandler>(OrderTasks.CheckFraudScore, RetryOnTransient)
        .AddTask<OrderTaskArgs, FinalizeOrderPreparationHandler>(OrderTasks.FinalizeOrderPreparation, RetryOnTransient)
        .AddTask<ReleaseInventoryArgs, ReleaseInventoryHandler>(OrderTasks.ReleaseInventory, RetryOnTransient)
        .AddTask<NoArgs, ExpireUnpaidOrdersHandler>(OrderTasks.ExpireUnpaidOrders, RetryOnTransient);

    public static ITaskEngineBuilder AddNotificationTasks(this ITaskEngineBuilder builder) => builder
        .AddTask<SendEmailArgs, SendEmailHandler>(NotificationTasks.SendEmail, RetryOnTransient)
        .AddTask<SendOrderEmailArgs, SendOrderEmailHandler>(NotificationTasks.SendOrderEmail, RetryOnTransient)
        .AddTask<SendMassMailArgs, SendMassMailHandler>(NotificationTasks.SendMassMail, RetryOnTransient)
        .AddTask<NoArgs, RetryFailedNotificationsHandler>(NotificationTasks.RetryFailedNotifications, RetryOnTransient);
}
