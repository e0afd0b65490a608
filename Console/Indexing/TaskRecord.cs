namespace Onboarding.OperationsConsole.Indexing;

/// <summary>One moment of a task's life: the event type and when it happened.</summary>
public sealed record TaskTimelineEntry(string Event, DateTimeOffset At);

/// <summary>Everything the console knows of one task, from its events.</summary>
public sealed record TaskRecord
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? State { get; init; }
    public string? Args { get; init; }
    public string? Kwargs { get; init; }
    public string? Worker { get; init; }
    public string? Queue { get; init; }
    public string? Result { get; init; }
    public string? Exception { get; init; }
    public string? Traceback { get; init; }
    public double? Runtime { get; init; }
    public int Retries { get; init; }
    public string? ParentId { get; init; }
    public string? RootId { get; init; }
    public string? Eta { get; init; }
    public string? Expires { get; init; }
    /// <summary>The task this one re-sent from the console (Retry), if any.</summary>
    public string? RetryOf { get; init; }
    /// <summary>The tasks the console re-sent from this one.</summary>
    public string? RetriedAs { get; init; }
    public DateTimeOffset FirstSeen { get; init; }
    public DateTimeOffset? LastChange { get; init; }
    public IReadOnlyList<TaskTimelineEntry> Timeline { get; init; } = [];
    public IReadOnlyList<string> Children { get; init; } = [];

    /// <summary>True while a worker runs it: what Terminate applies to.</summary>
    public bool IsRunning => State == TaskStates.Started;

    /// <summary>True until it reached a final state: what Revoke applies to.</summary>
    public bool IsUnfinished => !TaskStates.IsFinal(State);
}

/// <summary>A page of the task list.</summary>
/// <param name="Tasks">The tasks, newest first.</param>
/// <param name="Total">How many match, when known without scanning (null when a search or several filters apply).</param>
/// <param name="HasMore">Whether a next page exists.</param>
/// <param name="Scanned">How many tasks a search looked through.</param>
public sealed record TaskPage(IReadOnlyList<TaskRecord> Tasks, long? Total, bool HasMore, int Scanned);

/// <summary>What the task list is filtered by; null members do not filter.</summary>
public sealed record TaskQuery
{
    public string? State { get; init; }
    public string? Name { get; init; }
    public string? Worker { get; init; }
    public string? Queue { get; init; }
    public DateTimeOffset? From { get; init; }
    public DateTimeOffset? To { get; init; }
    /// <summary>A task id, or text looked for in the arguments.</summary>
    public string? Search { get; init; }
    public int Offset { get; init; }
    public int Limit { get; init; } = 50;
}
