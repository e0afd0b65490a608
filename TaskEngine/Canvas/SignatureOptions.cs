using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// The <c>options</c> of a Celery signature: the execution options of <c>apply_async</c>.
/// Known keys are typed; every other key is kept verbatim in <see cref="Extra"/> and written back unchanged.
/// A <see langword="null"/> property means "absent" (Python reads a missing key and an explicit <c>None</c> the same way).
/// </summary>
public sealed record SignatureOptions
{

    /// <summary>Options with no key set.</summary>
    public static SignatureOptions None { get; } = new();

    /// <summary><c>task_id</c>: the frozen task id (for a group, its group id).</summary>
    public string? TaskId { get; init; }

    /// <summary><c>reply_to</c>: the publisher's reply queue (only the rpc:// backend uses it).</summary>
    public string? ReplyTo { get; init; }

    /// <summary><c>group_id</c>: the group or chord header this task belongs to. Never overridden by a merge.</summary>
    public string? GroupId { get; init; }

    /// <summary><c>chord</c>: the chord body to fire when this header task completes.</summary>
    public Signature? Chord { get; init; }

    /// <summary><c>group_index</c>: the position in a chord header (null for plain groups).</summary>
    public int? GroupIndex { get; init; }

    /// <summary><c>root_id</c>: the id of the first task of the workflow.</summary>
    public string? RootId { get; init; }

    /// <summary><c>parent_id</c>: the id of the task that published this one.</summary>
    public string? ParentId { get; init; }

    /// <summary><c>chain</c>: the rest of a chain, in reverse order (as carried in <c>embed.chain</c>).</summary>
    public IReadOnlyList<Signature>? Chain { get; init => field = value is null ? null : ValueList<Signature>.From(value); }

    /// <summary><c>link</c>: callbacks applied with the result on success.</summary>
    public IReadOnlyList<Signature>? Link { get; init => field = value is null ? null : ValueList<Signature>.From(value); }

    /// <summary><c>link_error</c>: errbacks applied with the task id on failure.</summary>
    public IReadOnlyList<Signature>? LinkError { get; init => field = value is null ? null : ValueList<Signature>.From(value); }

    /// <summary><c>queue</c>: the queue (routing key on the default exchange) to publish to.</summary>
    public string? Queue { get; init; }

    /// <summary><c>priority</c>: the AMQP message priority.</summary>
    public int? Priority { get; init; }

    /// <summary><c>countdown</c>: seconds to wait before running (converted to an eta at publish time).</summary>
    public double? Countdown { get; init; }

    /// <summary><c>eta</c>: the earliest time to run.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary><c>expires</c> given as a number of seconds from publish time.</summary>
    public double? ExpiresInSeconds { get; init; }

    /// <summary><c>expires</c> given as an absolute time.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary><c>time_limit</c>: the hard time limit in seconds.</summary>
    public double? TimeLimit { get; init; }

    /// <summary><c>soft_time_limit</c>: the soft time limit in seconds.</summary>
    public double? SoftTimeLimit { get; init; }

    /// <summary><c>headers</c>: custom message headers.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Headers { get; init => field = value is null ? null : ValueMap.From(value); }

    /// <summary><c>ignore_result</c>: do not store the result.</summary>
    public bool? IgnoreResult { get; init; }

    /// <summary><c>shadow</c>: the name shown in logs and events instead of the task name.</summary>
    public string? Shadow { get; init; }

    /// <summary>Every other key (e.g. <c>exchange</c>, <c>routing_key</c>, stamps), kept verbatim.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init => field = ValueMap.From(value); } = ValueMap.Empty;

    /// <summary>
    /// Celery's <c>_merge</c> for options: keys set in <paramref name="overrides"/> win, except <c>group_id</c>,
    /// which keeps this instance's value when it has one.
    /// </summary>
    public SignatureOptions MergedWith(SignatureOptions overrides) => Merge(overrides, keepGroupId: true);

    /// <summary>A plain dict update (<c>options.update(overrides)</c>): every key set in <paramref name="overrides"/> wins, group_id too.</summary>
    internal SignatureOptions OverlaidWith(SignatureOptions overrides) => Merge(overrides, keepGroupId: false);

    private SignatureOptions Merge(SignatureOptions overrides, bool keepGroupId)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        Dictionary<string, JsonElement>? extra = null;
        if (overrides.Extra.Count > 0)
        {
            extra = new Dictionary<string, JsonElement>(Extra, StringComparer.Ordinal);
            foreach (var (key, value) in overrides.Extra)
            {
                extra[key] = value;
            }
        }

        return new SignatureOptions
        {
            TaskId = overrides.TaskId ?? TaskId,
            ReplyTo = overrides.ReplyTo ?? ReplyTo,
            GroupId = keepGroupId ? GroupId ?? overrides.GroupId : overrides.GroupId ?? GroupId,
            Chord = overrides.Chord ?? Chord,
            GroupIndex = overrides.GroupIndex ?? GroupIndex,
            RootId = overrides.RootId ?? RootId,
            ParentId = overrides.ParentId ?? ParentId,
            Chain = overrides.Chain ?? Chain,
            Link = overrides.Link ?? Link,
            LinkError = overrides.LinkError ?? LinkError,
            Queue = overrides.Queue ?? Queue,
            Priority = overrides.Priority ?? Priority,
            Countdown = overrides.Countdown ?? Countdown,
            Eta = overrides.Eta ?? Eta,
            ExpiresInSeconds = overrides.ExpiresAt is null ? overrides.ExpiresInSeconds ?? ExpiresInSeconds : null,
            ExpiresAt = overrides.ExpiresInSeconds is null ? overrides.ExpiresAt ?? ExpiresAt : null,
            TimeLimit = overrides.TimeLimit ?? TimeLimit,
            SoftTimeLimit = overrides.SoftTimeLimit ?? SoftTimeLimit,
            Headers = overrides.Headers ?? Headers,
            IgnoreResult = overrides.IgnoreResult ?? IgnoreResult,
            Shadow = overrides.Shadow ?? Shadow,
            Extra = extra ?? Extra,
        };
    }

    /// <summary>Only the keys that stay on a message: <c>link</c>, <c>link_error</c>, <c>chain</c> and <c>chord</c> move to the embed.</summary>
    internal SignatureOptions WithoutEmbed() => this with { Link = null, LinkError = null, Chain = null, Chord = null };
}
