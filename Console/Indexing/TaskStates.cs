using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.OperationsConsole.Indexing;

/// <summary>The states a task goes through as Celery events tell them (Flower's names).</summary>
public static class TaskStates
{
    public const string Sent = "SENT";
    public const string Received = "RECEIVED";
    public const string Started = "STARTED";
    public const string Success = "SUCCESS";
    public const string Failure = "FAILURE";
    public const string Retry = "RETRY";
    public const string Revoked = "REVOKED";
    public const string Rejected = "REJECTED";

    /// <summary>Every state, in lifecycle order, for filters.</summary>
    public static IReadOnlyList<string> All { get; } = [Sent, Received, Started, Retry, Success, Failure, Revoked, Rejected];

    /// <summary>The state a task event moves its task to, or null for events that are not task events.</summary>
    public static string? FromEventType(string type) => type switch
    {
        CeleryEventTypes.TaskSent => Sent,
        CeleryEventTypes.TaskReceived => Received,
        CeleryEventTypes.TaskStarted => Started,
        CeleryEventTypes.TaskSucceeded => Success,
        CeleryEventTypes.TaskFailed => Failure,
        CeleryEventTypes.TaskRetried => Retry,
        CeleryEventTypes.TaskRevoked => Revoked,
        CeleryEventTypes.TaskRejected => Rejected,
        _ => null,
    };

    /// <summary>True for states after which the task does nothing more.</summary>
    public static bool IsFinal(string? state) => state is Success or Failure or Revoked or Rejected;
}
