namespace Onboarding.OrderService;

/// <summary>OrderService's log messages.</summary>
internal static partial class OrderServiceLog
{
    [LoggerMessage(1, LogLevel.Information, "Order {OrderId} created; processing {WorkflowId} started")]
    public static partial void OrderCreated(ILogger logger, string orderId, string workflowId);

    [LoggerMessage(2, LogLevel.Information, "Order {OrderId} moved {From} -> {To}")]
    public static partial void StatusChanged(ILogger logger, string orderId, string from, string to);

    [LoggerMessage(3, LogLevel.Warning, "Payment for order {OrderId} declined: {DeclineCode}")]
    public static partial void PaymentDeclined(ILogger logger, string orderId, string declineCode);

    [LoggerMessage(4, LogLevel.Warning, "Simulated payment outage: {Calls} call(s) will answer 503")]
    public static partial void OutageSimulated(ILogger logger, int calls);

    [LoggerMessage(7, LogLevel.Information, "User {UserId} updated ({Fields}); customer data refreshed")]
    public static partial void UserUpdated(ILogger logger, string userId, string fields);

    [LoggerMessage(8, LogLevel.Information, "User {UserId} changed: cached customer snapshot dropped {Dropped} (event {EventId})")]
    public static partial void CustomerCacheInvalidated(ILogger logger, string userId, bool dropped, string eventId);

    [LoggerMessage(9, LogLevel.Information, "GDPR clean-up of user {UserId}: {Orders} order(s) deleted (event {EventId})")]
    public static partial void UserDataDeleted(ILogger logger, string userId, int orders, string eventId);

    [LoggerMessage(10, LogLevel.Warning, "UserService could not say whether user {UserId} exists ({Outcome}); the order is accepted unverified and its first step asks again")]
    public static partial void UserServiceUnavailable(ILogger logger, string userId, string outcome);
}
