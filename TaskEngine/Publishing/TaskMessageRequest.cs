using System.Text.Json;

namespace Onboarding.TaskEngine.Publishing;

/// <summary>
/// What a sender chooses for one task message. A value left null takes the task's registered option (queue,
/// expires, time limits, ignore_result), then Celery's default. A struct passed by reference: describing a message
/// costs no allocation on the publish path.
/// </summary>
internal readonly struct TaskMessageRequest
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>The message's headers beyond the protocol's own; the publish span adds its trace context here.</summary>
    public required Dictionary<string, object?> Headers { get; init; }

    public IReadOnlyList<JsonElement>? Args { get; init; }

    public IReadOnlyDictionary<string, JsonElement>? Kwargs { get; init; }

    public JsonElement? Callbacks { get; init; }

    public JsonElement? Errbacks { get; init; }

    public JsonElement? Chain { get; init; }

    public JsonElement? Chord { get; init; }

    /// <summary>An explicit queue; otherwise the task's queue, the routes, the default queue.</summary>
    public string? Queue { get; init; }

    public DateTimeOffset? Eta { get; init; }

    /// <summary>Used when <see cref="Eta"/> is null: due this long after now.</summary>
    public TimeSpan? Countdown { get; init; }

    public DateTimeOffset? Expires { get; init; }

    /// <summary>Used when <see cref="Expires"/> is null: expires this long after now.</summary>
    public TimeSpan? ExpiresIn { get; init; }

    public byte Priority { get; init; }

    /// <summary>Hard time limit in seconds.</summary>
    public double? TimeLimit { get; init; }

    /// <summary>Soft time limit in seconds.</summary>
    public double? SoftTimeLimit { get; init; }

    public bool? IgnoreResult { get; init; }

    public string? ParentId { get; init; }

    /// <summary>Null: the task is its own root.</summary>
    public string? RootId { get; init; }

    public string? GroupId { get; init; }

    public int? GroupIndex { get; init; }

    public string? Shadow { get; init; }

    public string? ReplyTo { get; init; }
}
