using Microsoft.Extensions.Logging;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>Log lines of the periodic task scheduler.</summary>
internal static partial class PeriodicTaskLog
{
    [LoggerMessage(106, LogLevel.Information, "Periodic task scheduler {Owner} is now the active beat")]
    public static partial void LeaseAcquired(ILogger logger, string owner);

    [LoggerMessage(107, LogLevel.Warning, "Periodic task scheduler {Owner} lost the beat lease")]
    public static partial void LeaseLost(ILogger logger, string owner);

    [LoggerMessage(108, LogLevel.Information, "Periodic task {Name} sent {TaskName}[{TaskId}] for tick {Tick:o}")]
    public static partial void PeriodicTaskSent(ILogger logger, string name, string taskName, string taskId, DateTimeOffset tick);

    [LoggerMessage(109, LogLevel.Error, "Periodic task {Name} could not be sent for tick {Tick:o}")]
    public static partial void PeriodicTaskFailed(ILogger logger, Exception exception, string name, DateTimeOffset tick);

    [LoggerMessage(110, LogLevel.Error, "Periodic task scheduler loop failed; retrying")]
    public static partial void SchedulerError(ILogger logger, Exception exception);
}
