namespace Onboarding.Contracts.Tasks;

/// <summary>
/// The seed's task names. They are the wire contract (routes send <c>user_service.tasks.*</c> to <c>user_queue</c>
/// and so on), so the seed's Python code can send to our workers unchanged. Never derive them from CLR names.
/// </summary>
public static class UserTasks
{
    public const string ValidateUserData = "user_service.tasks.validate_user_data";
    public const string CreateUserProfile = "user_service.tasks.create_user_profile";
    public const string AssignUserRole = "user_service.tasks.assign_user_role";
    public const string SendWelcomeEmail = "user_service.tasks.send_welcome_email";
    public const string CreateUserPreferences = "user_service.tasks.create_user_preferences";
    public const string SetupDefaultSettings = "user_service.tasks.setup_default_settings";
    public const string NotifyAdministrators = "user_service.tasks.notify_administrators";
    public const string FinalizeOnboarding = "user_service.tasks.finalize_onboarding";
    public const string UpdateUserProfile = "user_service.tasks.update_user_profile";

    /// <summary>Periodic: the nightly registration statistics roll-up (the seed's analytics).</summary>
    public const string RollupRegistrationStats = "user_service.tasks.rollup_registration_stats";
}

/// <summary>The order tasks: the processing chain, the fulfillment chord and compensation.</summary>
public static class OrderTasks
{
    public const string ValidateInventory = "order_service.tasks.validate_inventory";
    public const string CalculateShipping = "order_service.tasks.calculate_shipping";
    public const string ProcessPayment = "order_service.tasks.process_payment";
    public const string SendConfirmation = "order_service.tasks.send_confirmation";
    public const string ReserveInventory = "order_service.tasks.reserve_inventory";
    public const string CalculateTaxes = "order_service.tasks.calculate_taxes";
    public const string ValidateShippingAddress = "order_service.tasks.validate_shipping_address";
    public const string CheckFraudScore = "order_service.tasks.check_fraud_score";
    public const string FinalizeOrderPreparation = "order_service.tasks.finalize_order_preparation";
    public const string ReleaseInventory = "order_service.tasks.release_inventory";

    /// <summary>Periodic: expires orders still unpaid after <c>Orders:UnpaidTimeout</c>.</summary>
    public const string ExpireUnpaidOrders = "order_service.tasks.expire_unpaid_orders";
}

/// <summary>The notification tasks.</summary>
public static class NotificationTasks
{
    public const string SendEmail = "notification_service.tasks.send_email";
    public const string SendOrderEmail = "notification_service.tasks.send_order_email";
    public const string SendMassMail = "notification_service.tasks.send_mass_mail";

    /// <summary>Periodic: sends again the notifications whose send failed.</summary>
    public const string RetryFailedNotifications = "notification_service.tasks.retry_failed_notifications";
}
