namespace Onboarding.Contracts;

/// <summary>The queues of the seed's Celery deployment; task routes and worker queue sets name them.</summary>
public static class QueueNames
{
    public const string Users = "user_queue";
    public const string Orders = "order_queue";
    public const string Notifications = "notification_queue";
    public const string Default = "default";
}
