namespace Onboarding.OperationsConsole.Indexing;

/// <summary>How much of the fleet's task history the console keeps (section <c>Console:Index</c>).</summary>
public sealed class TaskIndexOptions
{
    /// <summary>The most tasks kept; the oldest are dropped first (Flower's <c>max_tasks</c>).</summary>
    public int MaxTasks { get; set; } = 100_000;

    /// <summary>How long a task stays in the index after it was first seen.</summary>
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromDays(3);

    /// <summary>The prefix of every Redis key the index writes.</summary>
    public string KeyPrefix { get; set; } = "console:";

    /// <summary>
    /// Events waiting to be written; when ingestion falls this far behind, newer events are dropped and the pages say
    /// the index is sampling.
    /// </summary>
    public int BufferCapacity { get; set; } = 50_000;

    /// <summary>
    /// How many of the newest tasks a search by argument text, or a filter the index has no set for (queue, or a second
    /// filter), looks through: by default all that are kept.
    /// </summary>
    public int SearchDepth { get; set; } = 100_000;
}
