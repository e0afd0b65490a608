using System.Text.Json;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// One Celery protocol v2 task message: Celery's headers (docs/wire-format.md, "Headers") plus the body
/// <c>[args, kwargs, embed]</c>. The embed's workflow parts are kept raw and passed through untouched.
/// </summary>
public sealed record TaskMessage
{
    private static readonly IReadOnlyDictionary<string, JsonElement> EmptyKwargs = new Dictionary<string, JsonElement>();
    private static readonly IReadOnlyDictionary<string, object?> EmptyHeaders = new Dictionary<string, object?>();

    /// <summary>Task id (header <c>id</c> and correlation_id): a lower-case UUID string.</summary>
    public required string Id { get; init; }

    /// <summary>Registered task name (header <c>task</c>).</summary>
    public required string Name { get; init; }

    public IReadOnlyList<JsonElement> Args { get; init; } = [];

    public IReadOnlyDictionary<string, JsonElement> Kwargs { get; init; } = EmptyKwargs;

    /// <summary>embed.callbacks (a list of signatures) or null.</summary>
    public JsonElement? Callbacks { get; init; }

    /// <summary>embed.errbacks (a list of signatures) or null.</summary>
    public JsonElement? Errbacks { get; init; }

    /// <summary>embed.chain: the rest of a chain, in reverse order, or null.</summary>
    public JsonElement? Chain { get; init; }

    /// <summary>embed.chord: the chord body signature, or null.</summary>
    public JsonElement? Chord { get; init; }

    public string Lang { get; init; } = "py";

    public string? Shadow { get; init; }

    public DateTimeOffset? Eta { get; init; }

    public DateTimeOffset? Expires { get; init; }

    public string? GroupId { get; init; }

    public int? GroupIndex { get; init; }

    public int Retries { get; init; }

    /// <summary>Hard time limit in seconds (first element of header <c>timelimit</c>).</summary>
    public double? TimeLimit { get; init; }

    /// <summary>Soft time limit in seconds (second element of header <c>timelimit</c>).</summary>
    public double? SoftTimeLimit { get; init; }

    public string? RootId { get; init; }

    public string? ParentId { get; init; }

    public string? ArgsRepr { get; init; }

    public string? KwargsRepr { get; init; }

    public string? Origin { get; init; }

    public bool IgnoreResult { get; init; }

    public string? ReplyTo { get; init; }

    public byte Priority { get; init; }

    /// <summary>Every other header (custom headers, traceparent, Celery 5.3+ extras), passed through.</summary>
    public IReadOnlyDictionary<string, object?> ExtraHeaders { get; init; } = EmptyHeaders;

    /// <summary>
    /// Not on the wire: the worker sets it for a delivery that may be a second copy (see
    /// <c>TaskDelivery.PossibleDuplicate</c>), so that what the message triggers knows it may have happened before.
    /// </summary>
    internal bool PossibleDuplicate { get; init; }
}
