using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// The base of <see cref="Map"/>, <see cref="Starmap"/> and <see cref="Chunks"/> (Celery's <c>_basemap</c>): a callee
/// signature applied to a list of items by one worker. Always immutable (the items are the arguments). Wire kwargs:
/// <c>{"task": &lt;sig&gt;, "it": [...]}</c>.
/// </summary>
public abstract record MapSignature : Signature
{
    private protected MapSignature(Signature callee, IReadOnlyList<JsonElement> items)
    {
        ArgumentNullException.ThrowIfNull(callee);
        ArgumentNullException.ThrowIfNull(items);
        Callee = callee;
        Items = items;
        IsImmutable = true;
    }

    /// <summary>The task applied to each item.</summary>
    public Signature Callee { get; init; }

    /// <summary>The items: for <see cref="Map"/> each is the single argument, otherwise a JSON array of arguments.</summary>
    public IReadOnlyList<JsonElement> Items { get; init => field = ValueList<JsonElement>.From(value); }

    private protected static IReadOnlyList<JsonElement> ArgumentLists(object?[][] items) =>
        [.. items.Select(item => JsonArgs.ToElement(JsonArgs.From(item)))];
}

/// <summary>
/// <c>celery.map</c> (Celery's <c>xmap</c>): one worker runs <see cref="MapSignature.Callee"/> once per item,
/// sequentially, each item being the single argument.
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Map : MapSignature
{
    /// <summary>Creates a map of <paramref name="callee"/> over <paramref name="items"/>.</summary>
    public Map(Signature callee, IReadOnlyList<JsonElement> items)
        : base(callee, items)
    {
    }

    /// <inheritdoc/>
    public override string Task => "celery.map";

    /// <inheritdoc/>
    public override string? SubtaskType => "xmap";

    /// <summary>Creates a map (Celery's <c>task.map(items)</c>).</summary>
    public static Map Of(Signature callee, params object?[] items) => new(callee, JsonArgs.From(items));
}

/// <summary>
/// <c>celery.starmap</c> (Celery's <c>xstarmap</c>): one worker runs <see cref="MapSignature.Callee"/> once per item,
/// each item being a list of arguments.
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Starmap : MapSignature
{
    /// <summary>Creates a starmap of <paramref name="callee"/> over <paramref name="items"/>.</summary>
    public Starmap(Signature callee, IReadOnlyList<JsonElement> items)
        : base(callee, items)
    {
    }

    /// <inheritdoc/>
    public override string Task => "celery.starmap";

    /// <inheritdoc/>
    public override string? SubtaskType => "xstarmap";

    /// <summary>Creates a starmap (Celery's <c>task.starmap(items)</c>); each item is an argument list.</summary>
    public static Starmap Of(Signature callee, params object?[][] items) => new(callee, ArgumentLists(items));
}

/// <summary>
/// <c>celery.chunks</c>: split <see cref="MapSignature.Items"/> into parts of <see cref="Size"/> and run each part as
/// a <see cref="Starmap"/>, all parts in one group. Wire kwargs add <c>"n"</c>.
/// </summary>
[JsonConverter(typeof(SignatureJsonConverter))]
public sealed record Chunks : MapSignature
{
    /// <summary>Creates chunks of <paramref name="callee"/> over <paramref name="items"/>.</summary>
    public Chunks(Signature callee, IReadOnlyList<JsonElement> items, int size)
        : base(callee, items)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
    }

    /// <summary>The number of items per part (<c>n</c>).</summary>
    public int Size { get; init; }

    /// <inheritdoc/>
    public override string Task => "celery.chunks";

    /// <inheritdoc/>
    public override string? SubtaskType => "chunks";

    /// <summary>Creates chunks (Celery's <c>task.chunks(items, n)</c>); each item is an argument list.</summary>
    public static Chunks Of(Signature callee, int size, params object?[][] items) => new(callee, ArgumentLists(items), size);

    /// <summary>The group of starmaps this expands to (Celery's <c>chunks.group()</c>); options go to the group.</summary>
    public Group ToGroup() =>
        new([.. Items.Chunk(Size).Select(part => new Starmap(Callee, part))]) { Options = Options };
}
