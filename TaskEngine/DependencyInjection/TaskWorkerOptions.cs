using System.ComponentModel.DataAnnotations;

namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>The worker's settings, bound from the <c>Worker</c> section (<c>--queues</c>, <c>--concurrency</c>).</summary>
public sealed class TaskWorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Comma-separated queue names, like <c>celery worker -Q a,b</c>.</summary>
    [Required]
    public string Queues { get; set; } = "default";

    /// <summary>Tasks run at once.</summary>
    [Range(1, 10_000)]
    public int Concurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Per-consumer prefetch = Concurrency × PrefetchMultiplier (global=false).</summary>
    [Range(1, 1_000)]
    public int PrefetchMultiplier { get; set; } = 4;

    /// <summary>How long running tasks may finish at shutdown before their tokens fire and they are requeued.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Also run the periodic task scheduler (<c>--beat</c>); safe on every replica (one holds the lease).</summary>
    public bool Beat { get; set; }

    /// <summary>
    /// The worker's Celery node name (<c>-n/--hostname</c>), unique in the fleet: remote control addresses it and events
    /// carry it. Default <c>celery@&lt;host name&gt;</c>; a name without <c>@</c> gets the <c>celery@</c> prefix; <c>%h</c>
    /// expands to the host name, <c>%n</c> to its first label, <c>%d</c> to its domain and <c>%%</c> to <c>%</c>, as in Celery.
    /// </summary>
    public string? Hostname { get; set; }

    /// <summary>
    /// Send task events (<c>-E/--events</c>, Celery's <c>worker_send_task_events</c>); <c>control enable_events</c>
    /// turns them on at run time too. Worker events (online, heartbeat, offline) are always sent.
    /// </summary>
    public bool Events { get; set; }

    public IReadOnlyList<string> GetQueues() =>
        Queues.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
