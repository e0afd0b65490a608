using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// What to do to start (or continue) a canvas, as plain data: first SET every chord size (and save every group in
/// <see cref="SavedGroups"/>), then publish every message,
/// in order. The engine turns each <see cref="PlannedMessage"/> into an AMQP message.
/// </summary>
/// <param name="Messages">The task messages to publish, in order.</param>
/// <param name="ChordSizes">The <c>celery-taskset-meta-&lt;gid&gt;.s</c> keys to SET before publishing.</param>
/// <param name="Results">The results of what was applied (Celery's result tuples), e.g. for a task's <c>children</c>.</param>
internal sealed record PublishPlan(
    IReadOnlyList<PlannedMessage> Messages,
    IReadOnlyList<ChordSizeEffect> ChordSizes,
    IReadOnlyList<ResultTuple> Results)
{
    public static PublishPlan Empty { get; } = new([], [], []);

    /// <summary>
    /// Group results to save as <c>celery-taskset-meta-&lt;gid&gt;</c> (<see cref="ResultTuple.GroupMetaJson"/>) before
    /// publishing: Celery's <c>apply_chord</c> saves a chord header whose members include group results.
    /// </summary>
    public IReadOnlyList<ResultTuple> SavedGroups { get; init; } = [];

    /// <summary>The result the caller tracks (the last applied canvas), or null for an empty plan.</summary>
    public ResultTuple? Result => Results.Count > 0 ? Results[^1] : null;
}

/// <summary>SET <see cref="Key"/> to <see cref="Size"/> (with the result TTL) before publishing the chord header.</summary>
internal sealed record ChordSizeEffect(string GroupId, int Size)
{
    public string Key => $"celery-taskset-meta-{GroupId}.s";
}

/// <summary>
/// One task message. <see cref="Options"/> holds the header-relevant keys (task_id, group_id, group_index, root_id,
/// parent_id, queue, priority, eta, expires, time limits, shadow, ignore_result, headers, reply_to): root_id and
/// parent_id are already resolved. <c>link</c>, <c>link_error</c>, <c>chain</c> and <c>chord</c> are in <see cref="Embed"/>.
/// </summary>
internal sealed record PlannedMessage(
    string Task,
    IReadOnlyList<JsonElement> Args,
    IReadOnlyDictionary<string, JsonElement> Kwargs,
    SignatureOptions Options,
    MessageEmbed Embed)
{
    public string TaskId => Options.TaskId ?? throw new InvalidOperationException("A planned message always has a task id.");

    public string? GroupId => Options.GroupId;

    public int? GroupIndex => Options.GroupIndex;

    public string? RootId => Options.RootId;

    public string? ParentId => Options.ParentId;

    /// <summary>The protocol v2 body: <c>[args, kwargs, embed]</c>.</summary>
    public string BodyJson() => CanvasJson.WriteToString(writer =>
    {
        writer.WriteStartArray();
        CanvasJson.WriteArray(writer, Args);
        CanvasJson.WriteObject(writer, Kwargs);
        Embed.WriteTo(writer);
        writer.WriteEndArray();
    });
}

/// <summary>The third element of a protocol v2 body. Always written with all four keys (null when unset).</summary>
internal sealed record MessageEmbed(
    IReadOnlyList<Signature>? Callbacks = null,
    IReadOnlyList<Signature>? Errbacks = null,
    IReadOnlyList<Signature>? Chain = null,
    Signature? Chord = null)
{
    public static MessageEmbed Empty { get; } = new();

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("callbacks");
        CanvasJson.WriteList(writer, Callbacks);
        writer.WritePropertyName("errbacks");
        CanvasJson.WriteList(writer, Errbacks);
        writer.WritePropertyName("chain");
        CanvasJson.WriteList(writer, Chain);
        writer.WritePropertyName("chord");
        if (Chord is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            CanvasJson.Write(writer, Chord);
        }

        writer.WriteEndObject();
    }

    public string ToJson() => CanvasJson.WriteToString(WriteTo);

    /// <summary>Reads an embed as Python sends it (a missing or null embed is empty).</summary>
    public static MessageEmbed Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return Empty;
        }

        JsonElement Get(string name) => element.TryGetProperty(name, out var value) ? value : default;
        var chord = Get("chord");
        return new MessageEmbed(
            CanvasJson.ReadListOrNull(Get("callbacks")),
            CanvasJson.ReadListOrNull(Get("errbacks")),
            CanvasJson.ReadListOrNull(Get("chain")),
            chord.ValueKind == JsonValueKind.Object ? CanvasJson.Read(chord) : null);
    }
}
