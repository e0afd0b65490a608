using System.Text.Json.Serialization;
namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// <c>celery.chain</c>: run the tasks one after another, each receiving the previous result
/// (the tasks are held in forward order; on the wire the rest of a running chain travels reversed).
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Chain : Signature
{
    /// <summary>Creates a chain of <paramref name="tasks"/> in forward order.</summary>
    public Chain(IReadOnlyList<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        Tasks = tasks;
    }

    /// <summary>The steps, in forward order.</summary>
    public IReadOnlyList<Signature> Tasks { get; init => field = ValueList<Signature>.From(value); }

    /// <inheritdoc/>
    public override string Task => "celery.chain";

    /// <inheritdoc/>
    public override string? SubtaskType => "chain";

    /// <summary>Creates a chain (Celery's <c>chain(a, b, c)</c>).</summary>
    public static Chain Of(params Signature[] tasks) => new(tasks);

    /// <summary>Appends <paramref name="next"/> (a chain is spliced in).</summary>
    public override Signature Then(Signature next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return this with { Tasks = next is Chain chain ? [.. Tasks, .. chain.Tasks] : [.. Tasks, next] };
    }
}
