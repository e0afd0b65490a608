using Microsoft.Extensions.Logging;

namespace Onboarding.TaskEngine;

/// <summary>Log messages of remote control and events (event ids 100–129).</summary>
internal static partial class OperationsLog
{
    [LoggerMessage(100, LogLevel.Information, "Remote control: node {Node} listens on {Queue}")]
    public static partial void NodeListening(ILogger logger, string node, string queue);

    [LoggerMessage(101, LogLevel.Warning, "Remote control: unreadable command ignored: {Reason}")]
    public static partial void CommandUnreadable(ILogger logger, string reason);

    [LoggerMessage(102, LogLevel.Error, "Remote control: command {Command} failed")]
    public static partial void CommandFailed(ILogger logger, Exception exception, string command);

    [LoggerMessage(103, LogLevel.Warning, "Remote control: shutdown requested by remote")]
    public static partial void ShutdownRequested(ILogger logger);

    [LoggerMessage(104, LogLevel.Information, "Remote control: {Command} ({Detail})")]
    public static partial void CommandApplied(ILogger logger, string command, string detail);

    [LoggerMessage(105, LogLevel.Warning, "Remote control: the pidbox channel is down ({Reason}); listening again")]
    public static partial void MailboxReconnecting(ILogger logger, string reason);

    [LoggerMessage(110, LogLevel.Warning, "Events: {Count} events dropped because the broker did not take them fast enough")]
    public static partial void EventsDropped(ILogger logger, long count);

    [LoggerMessage(111, LogLevel.Warning, "Events: publishing failed ({Reason}); {Count} events dropped")]
    public static partial void EventPublishFailed(ILogger logger, string reason, int count);

    [LoggerMessage(112, LogLevel.Warning, "Event reader: {Count} events dropped because the reader fell behind")]
    public static partial void EventsDroppedByReader(ILogger logger, long count);

    [LoggerMessage(113, LogLevel.Warning, "Event reader: the channel is down ({Reason}); binding again")]
    public static partial void EventReaderReconnecting(ILogger logger, string reason);

    [LoggerMessage(114, LogLevel.Information, "Events: task events {State}")]
    public static partial void TaskEventsSwitched(ILogger logger, string state);
}
