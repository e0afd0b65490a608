using System.Text.Json.Serialization;
namespace Onboarding.TaskEngine.Canvas;

/// <summary><c>celery.group</c>: run the tasks in parallel, as one group id.</summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Group : Signature
{
    /// <summary>Creates a group of <paramref name="tasks"/>.</summary>
    public Group(IReadOnlyList<Signature> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        Tasks = tasks;
    }

    /// <summary>The members.</summary>
    public IReadOnlyList<Signature> Tasks { get; init => field = ValueList<Signature>.From(value); }

    /// <inheritdoc/>
    public override string Task => "celery.group";

    /// <inheritdoc/>
    public override string? SubtaskType => "group";

    /// <summary>Creates a group (Celery's <c>group(a, b, c)</c>).</summary>
    public static Group Of(params Signature[] tasks) => new(tasks);

    /// <summary>Makes every member immutable (Celery's <c>group.set_immutable</c>).</summary>
    public override Signature Immutable(bool immutable = true) =>
        this with { Tasks = [.. Tasks.Select(t => t.Immutable(immutable))] };

    /// <summary>
    /// Links <paramref name="callback"/> to the first member only, made immutable (Celery's <c>group.link</c>).
    /// To run a task after the whole group, use <see cref="Then"/> (a chord).
    /// </summary>
    public override Signature Link(Signature callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (Tasks.Count == 0)
        {
            throw new InvalidOperationException("Cannot link a callback to an empty group.");
        }

        return this with { Tasks = [Tasks[0].Link(callback.Immutable()), .. Tasks.Skip(1)] };
    }

    /// <summary>Links <paramref name="errback"/> to every member (Celery's <c>group.link_error</c>).</summary>
    public override Signature OnError(Signature errback) =>
        this with { Tasks = [.. Tasks.Select(t => t.OnError(errback))] };

    /// <summary>A group followed by a task is a chord (Celery's <c>group | task</c>).</summary>
    public override Signature Then(Signature next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return next is Chain or Group ? base.Then(next) : Chord.Of(this, next);
    }
}
