using System.Text.Json;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>A periodic task (a celery-beat schedule entry): which task to send, when, with which arguments.</summary>
public sealed record PeriodicTaskDefinition
{
    /// <summary>The entry's unique name; its last fired tick is stored under <c>onboarding-beat-&lt;name&gt;</c>.</summary>
    public required string Name { get; init; }

    /// <summary>The task name on the wire (<c>analytics.tasks.rollup_registrations</c>).</summary>
    public required string TaskName { get; init; }

    public required Schedule Schedule { get; init; }

    public IReadOnlyList<JsonElement> Args { get; init; } = [];

    public IReadOnlyDictionary<string, JsonElement>? Kwargs { get; init; }

    /// <summary>An explicit queue; null lets the engine's routes decide.</summary>
    public string? Queue { get; init; }

    /// <summary>
    /// How long a sent task may wait before it is dropped as expired (Celery beat's <c>expires</c>); null keeps it
    /// until run.
    /// </summary>
    public TimeSpan? ExpiresIn { get; init; }
}

/// <summary>Settings of one schedule entry from configuration: <c>TaskEngine:Schedules:&lt;name&gt;</c>.</summary>
public sealed class PeriodicTaskSettings
{
    public string? Task { get; set; }

    /// <summary>Cron expression (5 fields, or 6 with seconds). Exactly one of Cron and Interval.</summary>
    public string? Cron { get; set; }

    public TimeSpan? Interval { get; set; }

    /// <summary>IANA or Windows time-zone id for Cron; UTC when empty.</summary>
    public string? TimeZone { get; set; }

    /// <summary>Positional arguments; each is read as JSON when it parses (<c>42</c>, <c>true</c>, <c>{"a":1}</c>), else as a string.</summary>
    public List<string> Args { get; set; } = [];

    public string? Queue { get; set; }

    public TimeSpan? ExpiresIn { get; set; }

    internal PeriodicTaskDefinition ToDefinition(string name)
    {
        if (string.IsNullOrWhiteSpace(Task))
        {
            throw new InvalidOperationException($"TaskEngine:Schedules:{name}: Task is required.");
        }

        var schedule = (Cron, Interval) switch
        {
            ({ Length: > 0 } cron, null) => Schedule.Cron(cron, string.IsNullOrEmpty(TimeZone) ? null : TimeZoneInfo.FindSystemTimeZoneById(TimeZone)),
            (null or "", { } interval) => Schedule.Every(interval),
            _ => throw new InvalidOperationException($"TaskEngine:Schedules:{name}: set exactly one of Cron and Interval."),
        };
        return new PeriodicTaskDefinition
        {
            Name = name,
            TaskName = Task,
            Schedule = schedule,
            Args = Args.Select(ParseArg).ToList(),
            Queue = string.IsNullOrEmpty(Queue) ? null : Queue,
            ExpiresIn = ExpiresIn,
        };
    }

    private static JsonElement ParseArg(string value)
    {
        try
        {
            return JsonDocument.Parse(value).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(value);
        }
    }
}

/// <summary>
/// The periodic scheduler's settings, bound from <c>TaskEngine</c>: the <c>Schedules</c> entries and the
/// <c>Beat</c> lease settings. Whether a worker runs the scheduler is <c>Worker:Beat</c> (<c>--beat</c>).
/// </summary>
public sealed class PeriodicTaskSchedulerOptions
{
    public Dictionary<string, PeriodicTaskSettings> Schedules { get; set; } = new(StringComparer.Ordinal);

    public BeatSettings Beat { get; set; } = new();
}

public sealed class BeatSettings
{
    /// <summary>Prefix of the Redis keys: <c>&lt;prefix&gt;-lease</c> and <c>&lt;prefix&gt;-&lt;name&gt;</c>.</summary>
    public string KeyPrefix { get; set; } = "onboarding-beat";

    /// <summary>How long the lease outlives its holder; the holder renews it every third of this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the scheduler looks for due ticks (and a standby tries to take the lease).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long the last fired tick of an entry is remembered (for catch-up after downtime).</summary>
    public TimeSpan TickMemory { get; set; } = TimeSpan.FromDays(35);
}
