namespace Onboarding.TaskEngine.Abstractions;

/// <summary>Per-call options of a send (Celery's <c>apply_async</c> keywords).</summary>
public sealed record TaskSendOptions
{
    /// <summary>An explicit task id; a new lower-case UUID otherwise.</summary>
    public string? TaskId { get; init; }

    /// <summary>Run no earlier than now + countdown (kept in the broker's delay queues, never in a worker).</summary>
    public TimeSpan? Countdown { get; init; }

    /// <summary>Run no earlier than this time. Wins over <see cref="Countdown"/>.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary>Absolute expiry; an expired task is stored REVOKED and not run.</summary>
    public DateTimeOffset? Expires { get; init; }

    /// <summary>Relative expiry, converted to an absolute time at send.</summary>
    public TimeSpan? ExpiresIn { get; init; }

    /// <summary>AMQP priority 0..255 (only meaningful on queues declared with x-max-priority).</summary>
    public byte? Priority { get; init; }

    /// <summary>Explicit queue; overrides the task's option and the routes.</summary>
    public string? Queue { get; init; }

    /// <summary>Custom headers, merged into the header table (they become <c>task.request.&lt;name&gt;</c> in Python).</summary>
    public IReadOnlyDictionary<string, object?>? Headers { get; init; }

    public TimeSpan? TimeLimit { get; init; }

    public TimeSpan? SoftTimeLimit { get; init; }

    public bool? IgnoreResult { get; init; }

    public string? ParentId { get; init; }

    public string? RootId { get; init; }

    public string? GroupId { get; init; }

    public int? GroupIndex { get; init; }

    public string? Shadow { get; init; }
}
