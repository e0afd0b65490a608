using System.ComponentModel.DataAnnotations;

namespace Onboarding.TaskEngine.Events;

/// <summary>Event pub/sub settings, bound from <c>TaskEngine:Events</c>.</summary>
public sealed class EventOptions
{
    public const string SectionName = "TaskEngine:Events";

    /// <summary>The durable topic exchange every event is published to.</summary>
    [Required]
    public string Exchange { get; set; } = "onboarding.events";

    /// <summary>This service's name: its queue is <c>&lt;subscriber&gt;.events</c>. Defaults to the application name.</summary>
    public string? Subscriber { get; set; }

    /// <summary>The <c>source_service</c> of published events. Defaults to the subscriber name.</summary>
    public string? SourceService { get; set; }

    /// <summary>Events handled at once by this service.</summary>
    [Range(1, 1_000)]
    public int Concurrency { get; set; } = 4;

    /// <summary>Retries of a failing handler after the first attempt; past it the event is dead-lettered.</summary>
    [Range(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>
    /// Retry delay = min(<see cref="RetryBackoffMax"/>, <see cref="RetryBackoff"/>·2^(attempt-1)), with full jitter
    /// when <see cref="RetryJitter"/> is on: the same policy as tasks (<c>Retry/RetryPolicy</c>).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.016", "1.00:00:00")]
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00.016", "1.00:00:00")]
    public TimeSpan RetryBackoffMax { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Full jitter: each delay is uniform between zero and the backoff, so events that failed together spread out.</summary>
    public bool RetryJitter { get; set; } = true;

    /// <summary>How long a handled event id is remembered (the idempotency window).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan IdempotencyWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long one replica may hold an event while its handlers run before another may take it.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ProcessingLease { get; set; } = TimeSpan.FromMinutes(5);

    internal string QueueName => Subscriber + ".events";
}
