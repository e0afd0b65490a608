using Microsoft.Extensions.Logging;

namespace Onboarding.TaskEngine.Diagnostics;

/// <summary>Every log line of the engine, as source-generated [LoggerMessage] methods.</summary>
internal static partial class TaskEngineLog
{
    [LoggerMessage(1, LogLevel.Information, "Worker consuming {Queues} with concurrency {Concurrency} and prefetch {Prefetch}")]
    public static partial void WorkerStarted(ILogger logger, string queues, int concurrency, int prefetch);

    [LoggerMessage(2, LogLevel.Information, "Worker draining: {Running} running task(s), grace period {GracePeriod}")]
    public static partial void WorkerDraining(ILogger logger, int running, TimeSpan gracePeriod);

    [LoggerMessage(3, LogLevel.Information, "Worker stopped")]
    public static partial void WorkerStopped(ILogger logger);

    [LoggerMessage(4, LogLevel.Debug, "Task {TaskName}[{TaskId}] succeeded in {Seconds}s")]
    public static partial void TaskSucceeded(ILogger logger, string taskName, string taskId, double seconds);

    [LoggerMessage(5, LogLevel.Warning, "Task {TaskName}[{TaskId}] failed")]
    public static partial void TaskFailed(ILogger logger, Exception exception, string taskName, string taskId);

    [LoggerMessage(6, LogLevel.Information, "Task {TaskName}[{TaskId}] retry {Retries} in {Delay}")]
    public static partial void TaskRetrying(ILogger logger, string taskName, string taskId, int retries, TimeSpan delay);

    [LoggerMessage(7, LogLevel.Warning, "Message {TaskId} from {Queue} dead-lettered: {Reason}")]
    public static partial void DeadLettered(ILogger logger, string? taskId, string queue, string reason);

    [LoggerMessage(8, LogLevel.Information, "Task {TaskName}[{TaskId}] revoked: {Reason}")]
    public static partial void TaskRevoked(ILogger logger, string taskName, string taskId, string reason);

    [LoggerMessage(9, LogLevel.Warning, "Task {TaskName}[{TaskId}] exceeded its hard time limit of {Limit}s and was abandoned")]
    public static partial void HardTimeLimit(ILogger logger, string taskName, string taskId, double limit);

    [LoggerMessage(10, LogLevel.Warning, "Publish to {Queue} failed (attempt {Attempt}), retrying")]
    public static partial void PublishRetry(ILogger logger, Exception exception, string queue, int attempt);

    [LoggerMessage(11, LogLevel.Error, "Delivery handling failed; message requeued")]
    public static partial void DeliveryError(ILogger logger, Exception exception);

    [LoggerMessage(12, LogLevel.Information, "Requeued {Count} unstarted message(s) at shutdown")]
    public static partial void Requeued(ILogger logger, int count);

    [LoggerMessage(13, LogLevel.Warning, "Abandoned task {TaskName}[{TaskId}] finished with an error after its hard time limit")]
    public static partial void AbandonedFaulted(ILogger logger, Exception exception, string taskName, string taskId);

    [LoggerMessage(14, LogLevel.Warning, "Consumer channel shut down: {Reason}")]
    public static partial void ChannelShutdown(ILogger logger, string reason);

    [LoggerMessage(15, LogLevel.Error, "Rescue of messages with unreadable headers failed")]
    public static partial void RescueFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Warning, "Re-reading the revocations from Redis failed")]
    public static partial void RevocationSyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(17, LogLevel.Information, "Redelivered task {TaskName}[{TaskId}] already succeeded; not running it again")]
    public static partial void DuplicateSkipped(ILogger logger, string taskName, string taskId);

    [LoggerMessage(18, LogLevel.Warning, "Storing the {Outcome} of task {TaskName}[{TaskId}] failed: Redis unreachable; finished tasks keep trying for up to {Timeout} before their messages are left for redelivery")]
    public static partial void OutcomeStoreWaiting(ILogger logger, Exception exception, string outcome, string taskName, string taskId, TimeSpan timeout);

    [LoggerMessage(19, LogLevel.Information, "Stored the {Outcome} of task {TaskName}[{TaskId}] at attempt {Attempts}, after {Elapsed}")]
    public static partial void OutcomeStoredAfterRetry(ILogger logger, string outcome, string taskName, string taskId, int attempts, TimeSpan elapsed);

    [LoggerMessage(20, LogLevel.Information, "Redis answers again: task outcomes stored after {Elapsed} and {Attempts} failed attempt(s)")]
    public static partial void OutcomeStoreRecovered(ILogger logger, TimeSpan elapsed, long attempts);

    [LoggerMessage(21, LogLevel.Error, "Gave up storing the {Outcome} of task {TaskName}[{TaskId}] after {Attempts} attempt(s) in {Elapsed}")]
    public static partial void OutcomeStoreGaveUp(ILogger logger, Exception exception, string outcome, string taskName, string taskId, int attempts, TimeSpan elapsed);

    [LoggerMessage(22, LogLevel.Warning, "Task {TaskName}[{TaskId}] finished but its outcome could not be stored; its message is left for redelivery")]
    public static partial void LeftForRedelivery(ILogger logger, string taskName, string taskId);

    [LoggerMessage(23, LogLevel.Warning, "Worker waiting for Redis for {Elapsed}: {Reason}; it starts consuming once Redis answers")]
    public static partial void WaitingForRedis(ILogger logger, TimeSpan elapsed, string reason);

    [LoggerMessage(24, LogLevel.Information, "Redis answers after {Elapsed}; worker starting")]
    public static partial void RedisAnswered(ILogger logger, TimeSpan elapsed);

    [LoggerMessage(60, LogLevel.Warning, "Broker connection lost ({Initiator}: {Reason}); unacked deliveries return to the queue, recovery follows")]
    public static partial void BrokerConnectionLost(ILogger logger, string initiator, string reason);

    [LoggerMessage(61, LogLevel.Information, "Broker connection recovered")]
    public static partial void BrokerConnectionRecovered(ILogger logger);

    [LoggerMessage(62, LogLevel.Warning, "Broker connection recovery failed; retrying")]
    public static partial void BrokerRecoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(63, LogLevel.Warning, "Broker blocked the connection ({Reason}); once it publishes, the broker reads nothing from it (acks included) until unblocked")]
    public static partial void BrokerConnectionBlocked(ILogger logger, string reason);

    [LoggerMessage(64, LogLevel.Information, "Broker unblocked the connection")]
    public static partial void BrokerConnectionUnblocked(ILogger logger);

    [LoggerMessage(65, LogLevel.Error, "Sending acks failed; those deliveries stay unacked (the broker redelivers them when the channel closes)")]
    public static partial void AckFlushFailed(ILogger logger, Exception exception);

    [LoggerMessage(66, LogLevel.Error, "Settling delivery {DeliveryTag} failed; the worker slot goes on with the next message")]
    public static partial void SettleFailed(ILogger logger, Exception exception, ulong deliveryTag);
}
