using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// <c>celery.chord</c>: run the <see cref="Header"/> group, then the <see cref="Body"/> with the list of header results.
/// The completion counter lives in the result backend (<c>celery-taskset-meta-&lt;gid&gt;.s/.j</c>); the runtime that
/// counts parts and fires the body is <c>Workflows/ChordCounter</c>.
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Chord : Signature
{
    /// <summary>Creates a chord.</summary>
    public Chord(Group header, Signature body)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(body);
        Header = header;
        Body = body;
    }

    /// <summary>The header group.</summary>
    public Group Header { get; init; }

    /// <summary>The body, applied with the header results as its first argument.</summary>
    public Signature Body { get; init; }

    /// <summary>The chord's own <c>kwargs.kwargs</c> (partial keyword arguments for the header; usually empty).</summary>
    public IReadOnlyDictionary<string, JsonElement> HeaderKwargs { get; init => field = ValueMap.From(value); } = ValueMap.Empty;

    /// <inheritdoc/>
    public override string Task => "celery.chord";

    /// <inheritdoc/>
    public override string? SubtaskType => "chord";

    /// <summary>Creates a chord (Celery's <c>chord(header, body)</c>).</summary>
    public static Chord Of(Group header, Signature body) => new(header, body);

    /// <summary>Creates a chord whose header is the given tasks.</summary>
    public static Chord Of(IReadOnlyList<Signature> header, Signature body) => new(new Group(header), body);

    /// <summary>Links the callback to the body (Celery's <c>chord.link</c>).</summary>
    public override Signature Link(Signature callback) => this with { Body = Body.Link(callback) };

    /// <summary>Links the errback to the body (Celery 5.2's <c>chord.link_error</c>).</summary>
    public override Signature OnError(Signature errback) => this with { Body = Body.OnError(errback) };

    /// <summary>A chord followed by a task extends its body (Celery's <c>chord | task</c>).</summary>
    public override Signature Then(Signature next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return next is Chain or Group ? base.Then(next) : this with { Body = Body.Then(next) };
    }
}
