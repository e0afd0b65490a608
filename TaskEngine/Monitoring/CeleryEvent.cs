using System.Text.Json;

namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// One Celery event as sent on the wire: a flat JSON object whose <c>type</c> names it (<see cref="CeleryEventTypes"/>)
/// and which always carries <c>hostname</c>, <c>timestamp</c>, <c>utcoffset</c>, <c>pid</c> and <c>clock</c>; task
/// events add <c>uuid</c> (the task id) and their own fields (<c>name</c>, <c>args</c>, <c>result</c>, <c>runtime</c>,
/// <c>exception</c>, <c>traceback</c> …), read with <see cref="GetString"/> and friends or from <see cref="Fields"/>.
/// </summary>
public sealed record CeleryEvent
{
    /// <summary>The event type, e.g. <c>task-succeeded</c>.</summary>
    public required string Type { get; init; }

    /// <summary>The sender's node name (<c>celery@host</c>).</summary>
    public required string Hostname { get; init; }

    /// <summary>When the sender created it.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The sender's logical clock, for ordering events of one sender.</summary>
    public long? Clock { get; init; }

    /// <summary>The task id, for task events.</summary>
    public string? TaskId { get; init; }

    /// <summary>The whole event object.</summary>
    public JsonElement Fields { get; init; }

    /// <summary>The part of <see cref="Type"/> before the dash: <c>task</c> or <c>worker</c>.</summary>
    public string Group => Type.IndexOf('-', StringComparison.Ordinal) is var dash and > 0 ? Type[..dash] : Type;

    /// <summary>A string field, or null when absent or not a string.</summary>
    public string? GetString(string name) =>
        Fields.ValueKind == JsonValueKind.Object && Fields.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <summary>A numeric field, or null when absent or not a number.</summary>
    public double? GetDouble(string name) =>
        Fields.ValueKind == JsonValueKind.Object && Fields.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : null;
}
