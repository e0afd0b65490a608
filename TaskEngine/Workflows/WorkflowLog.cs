using Microsoft.Extensions.Logging;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>The log lines of workflows, as source-generated [LoggerMessage] methods.</summary>
internal static partial class WorkflowLog
{
    [LoggerMessage(101, LogLevel.Debug, "Chord {GroupId} complete: firing {Body} (last part {TaskId})")]
    public static partial void ChordFiring(ILogger logger, string groupId, string body, string taskId);

    [LoggerMessage(103, LogLevel.Warning, "Chord {GroupId}: part {TaskId} took the fired flag and came back before the chord's keys were deleted; sending its body again, marked as a possible duplicate")]
    public static partial void ChordFiringAgain(ILogger logger, string groupId, string taskId);

    [LoggerMessage(102, LogLevel.Information, "Task {TaskId} failed: running {Count} compensation(s)")]
    public static partial void Compensating(ILogger logger, string taskId, int count);
}
