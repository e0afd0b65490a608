namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>Per-task options, set at registration (Celery's task decorator keywords).</summary>
public sealed class TaskOptions
{
    /// <summary>The queue the task is sent to; null means the routes decide.</summary>
    public string? Queue { get; set; }

    /// <summary>Retries after the first run (Celery's max_retries, 3). Past it, FAILURE and dead-letter.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Backoff factor: delay = min(max, base·2^retries), with full jitter when enabled.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMinutes(10);

    public bool RetryJitter { get; set; } = true;

    /// <summary>Exception types that retry automatically (Celery's autoretry_for); subclasses match.</summary>
    public List<Type> RetryOn { get; } = [];

    /// <summary>Hard limit: the task is abandoned and FAILURE TimeLimitExceeded is stored.</summary>
    public TimeSpan? TimeLimit { get; set; }

    /// <summary>Soft limit: the handler's token fires.</summary>
    public TimeSpan? SoftTimeLimit { get; set; }

    /// <summary>Per-worker token bucket such as <c>"100/m"</c>, <c>"10/s"</c> or <c>"5/h"</c>; null for none.</summary>
    public string? RateLimit { get; set; }

    /// <summary>Ack after the result is stored (default); false acks when the task starts.</summary>
    public bool AcksLate { get; set; } = true;

    public bool IgnoreResult { get; set; }

    /// <summary>Default expiry applied at send when the caller gives none.</summary>
    public TimeSpan? Expires { get; set; }

    /// <summary>Store STARTED before running (Celery's track_started).</summary>
    public bool TrackStarted { get; set; }

    public TaskOptions RetryOnException<TException>() where TException : Exception
    {
        RetryOn.Add(typeof(TException));
        return this;
    }
}
