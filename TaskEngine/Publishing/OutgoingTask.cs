using System.Diagnostics;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Publishing;

/// <summary>
/// A task message built and routed by <see cref="TaskMessageFactory.Create"/>, with its publish span running (its
/// trace context is in the message's headers). Dispose it once the publish is over.
/// </summary>
internal readonly struct OutgoingTask(TaskMessage message, string queue, Activity? span) : IDisposable
{
    public TaskMessage Message { get; } = message;

    /// <summary>The queue it is routed to (published to the default exchange with this routing key).</summary>
    public string Queue { get; } = queue;

    /// <summary>Records a publish that failed (not confirmed, returned, cancelled) on the span.</summary>
    public void Failed(Exception exception)
    {
        span?.AddException(exception);
        span?.SetStatus(ActivityStatusCode.Error);
    }

    public void Dispose() => span?.Dispose();
}
