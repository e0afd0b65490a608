namespace Onboarding.Contracts;

/// <summary>
/// The seed deployment's task routes: each service's tasks go to its queue. Every process that sends tasks declares
/// them (the engine's <c>WithDefaultRoutes</c>); <c>TaskEngine:Routes</c> in configuration replaces them.
/// </summary>
public static class TaskRoutes
{
    public static IReadOnlyList<(string Pattern, string Queue)> Seed { get; } =
    [
        ("user_service.tasks.*", QueueNames.Users),
        ("order_service.tasks.*", QueueNames.Orders),
        ("notification_service.tasks.*", QueueNames.Notifications),
    ];
}
