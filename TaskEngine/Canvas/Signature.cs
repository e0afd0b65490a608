using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// A Celery signature: one node of a workflow canvas. As in Celery, every canvas primitive is a signature:
/// <see cref="TaskSignature"/> (a plain task), <see cref="Chain"/>, <see cref="Group"/>, <see cref="Chord"/>,
/// <see cref="Map"/>, <see cref="Starmap"/> and <see cref="Chunks"/>. All are immutable; every builder returns a copy.
/// Serialized to and from Celery's dict form (<c>task, args, kwargs, options, subtask_type, immutable</c>).
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public abstract record Signature
{
    private protected Signature()
    {
    }

    /// <summary>The task name (for canvas primitives the pseudo-task, e.g. <c>celery.chain</c>).</summary>
    public abstract string Task { get; }

    /// <summary>The Celery <c>subtask_type</c>: null for a plain task, else <c>chain</c>, <c>group</c>, <c>chord</c>, ...</summary>
    public abstract string? SubtaskType { get; }

    /// <summary>Positional arguments; partial arguments from a parent are prepended unless <see cref="IsImmutable"/>.</summary>
    public IReadOnlyList<JsonElement> Args { get; init => field = ValueList<JsonElement>.From(value); } = ValueList<JsonElement>.Empty;

    /// <summary>Execution options.</summary>
    public SignatureOptions Options { get; init; } = SignatureOptions.None;

    /// <summary>When true (Celery's <c>.si()</c>) the parent's result is not prepended to <see cref="Args"/>.</summary>
    public bool IsImmutable { get; init; }

    /// <summary>Unknown top-level keys of the dict form (e.g. <c>chord_size</c> from newer Celery), kept verbatim.</summary>
    public IReadOnlyDictionary<string, JsonElement> Extra { get; init => field = ValueMap.From(value); } = ValueMap.Empty;

    /// <summary>Creates a plain task signature, like Celery's <c>task.s(*args)</c>.</summary>
    public static TaskSignature Create(string task, params object?[] args) =>
        new(task) { Args = JsonArgs.From(args) };

    /// <summary>Creates a plain task signature from arguments that are already JSON.</summary>
    public static TaskSignature Create(string task, IReadOnlyList<JsonElement> args, IReadOnlyDictionary<string, JsonElement>? kwargs = null) =>
        new(task) { Args = [.. args], Kwargs = kwargs ?? ValueMap.Empty };

    /// <summary>Returns a copy that ignores the parent's result (Celery's <c>.si()</c> / <c>set_immutable(True)</c>).</summary>
    public virtual Signature Immutable(bool immutable = true) => this with { IsImmutable = immutable };

    /// <summary>Returns a copy whose options are merged with <paramref name="options"/> (Celery's <c>.set(**options)</c>).</summary>
    public Signature WithOptions(SignatureOptions options) => this with { Options = Options.MergedWith(options) };

    /// <summary>Returns a copy whose options are transformed by <paramref name="update"/>.</summary>
    public Signature WithOptions(Func<SignatureOptions, SignatureOptions> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return this with { Options = update(Options) };
    }

    /// <summary>Returns a copy with a fixed task id (<c>task_id</c> option).</summary>
    public Signature WithTaskId(string taskId) => this with { Options = Options with { TaskId = taskId } };

    /// <summary>Returns a copy that applies <paramref name="callback"/> with this signature's result on success (Celery's <c>.link</c>).</summary>
    public virtual Signature Link(Signature callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return this with { Options = Options with { Link = Append(Options.Link, callback) } };
    }

    /// <summary>Returns a copy that applies <paramref name="errback"/> with the failed task id on failure (Celery's <c>.on_error</c>).</summary>
    public virtual Signature OnError(Signature errback)
    {
        ArgumentNullException.ThrowIfNull(errback);
        return this with { Options = Options with { LinkError = Append(Options.LinkError, errback) } };
    }

    /// <summary>Chains <paramref name="next"/> after this signature (Celery's <c>|</c>).</summary>
    public virtual Signature Then(Signature next) => Chain.Of(this).Then(next);

    /// <summary>Serializes to Celery's dict form.</summary>
    public string ToJson() => CanvasJson.Serialize(this);

    /// <summary>Reads Celery's dict form, as Python sends it.</summary>
    public static Signature FromJson(string json) => CanvasJson.Deserialize(json);

    /// <summary>Reads Celery's dict form, as Python sends it.</summary>
    public static Signature FromJson(JsonElement element) => CanvasJson.Read(element);

    private protected static IReadOnlyList<Signature> Append(IReadOnlyList<Signature>? list, Signature item) =>
        list is null ? [item] : [.. list, item];
}

/// <summary>A plain task signature: task name, arguments, keyword arguments and options.</summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record TaskSignature : Signature
{
    /// <summary>Creates a signature for the task registered as <paramref name="name"/>.</summary>
    public TaskSignature(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>The registered task name, e.g. <c>tasks.add</c>.</summary>
    public string Name { get; init; }

    /// <inheritdoc/>
    public override string Task => Name;

    /// <inheritdoc/>
    public override string? SubtaskType => null;

    /// <summary>Keyword arguments.</summary>
    public IReadOnlyDictionary<string, JsonElement> Kwargs { get; init => field = ValueMap.From(value); } = ValueMap.Empty;

    /// <summary>Returns a copy with the keyword argument <paramref name="name"/> set.</summary>
    public TaskSignature WithKwarg(string name, object? value)
    {
        var kwargs = new Dictionary<string, JsonElement>(Kwargs, StringComparer.Ordinal) { [name] = JsonArgs.ToElement(value) };
        return this with { Kwargs = kwargs };
    }
}
