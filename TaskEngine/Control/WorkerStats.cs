using System.Text.Json;

namespace Onboarding.TaskEngine.Control;

/// <summary>A node's <c>inspect stats</c> reply (the fields every Celery worker sends; the rest is in <see cref="Raw"/>).</summary>
public sealed record WorkerStats
{
    /// <summary>The worker's process id.</summary>
    public int? Pid { get; init; }

    /// <summary>Seconds since the worker started.</summary>
    public double? Uptime { get; init; }

    /// <summary>The worker's logical (Lamport) clock.</summary>
    public string? Clock { get; init; }

    /// <summary>How many tasks the node runs at once (<c>pool.max-concurrency</c>).</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Messages the node may hold unacknowledged (<c>prefetch_count</c>).</summary>
    public int? PrefetchCount { get; init; }

    /// <summary>Tasks run since start, by task name (<c>total</c>).</summary>
    public IReadOnlyDictionary<string, long> Total { get; init; } = new Dictionary<string, long>();

    /// <summary>The whole reply (broker, rusage, pool details …).</summary>
    public JsonElement Raw { get; init; }
}
