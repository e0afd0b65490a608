using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// Celery's result tuple (<c>as_tuple</c> / <c>result_from_tuple</c>): an AsyncResult is <c>[[id, parent], null]</c>,
/// a GroupResult is <c>[[gid, parent], [child, ...]]</c>, where parent is itself a result tuple or null.
/// Used in the <c>children</c> of a task meta and in the saved group meta.
/// </summary>
/// <param name="Id">The task id (or group id).</param>
/// <param name="Parent">The parent result, or null.</param>
/// <param name="Children">The members for a group result; null for a task result.</param>
internal sealed record ResultTuple(string Id, ResultTuple? Parent = null, IReadOnlyList<ResultTuple>? Children = null)
{
    public bool IsGroup => Children is not null;

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        writer.WriteStartArray();
        writer.WriteStringValue(Id);
        if (Parent is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            Parent.WriteTo(writer);
        }

        writer.WriteEndArray();
        if (Children is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStartArray();
            foreach (var child in Children)
            {
                child.WriteTo(writer);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
    }

    public string ToJson() => Write(WriteTo);

    /// <summary>Reads a result tuple; like Celery it accepts a bare id in place of <c>[id, parent]</c>.</summary>
    public static ResultTuple Read(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.String)
        {
            return new ResultTuple(element.GetString()!);
        }

        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() != 2)
        {
            throw new JsonException("A result tuple is a two-element list.");
        }

        var head = element[0];
        var nodes = element[1];
        string id;
        ResultTuple? parent = null;
        if (head.ValueKind == JsonValueKind.Array)
        {
            id = head[0].GetString() ?? throw new JsonException("A result tuple needs an id.");
            if (head.GetArrayLength() > 1 && head[1].ValueKind == JsonValueKind.Array)
            {
                parent = Read(head[1]);
            }
        }
        else
        {
            id = head.GetString() ?? throw new JsonException("A result tuple needs an id.");
        }

        IReadOnlyList<ResultTuple>? children = nodes.ValueKind == JsonValueKind.Array
            ? [.. nodes.EnumerateArray().Select(Read)]
            : null;
        return new ResultTuple(id, parent, children);
    }

    /// <summary>The <c>children</c> field of a task meta: a list of result tuples.</summary>
    public static string ChildrenJson(IReadOnlyList<ResultTuple> children) => Write(writer =>
    {
        writer.WriteStartArray();
        foreach (var child in children)
        {
            child.WriteTo(writer);
        }

        writer.WriteEndArray();
    });

    /// <summary>
    /// The value of <c>celery-taskset-meta-&lt;gid&gt;</c> written by <c>GroupResult.save()</c>:
    /// <c>{"result": [[gid, null], [[[tid, null], null], ...]]}</c>.
    /// </summary>
    public static string GroupMetaJson(ResultTuple group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (!group.IsGroup)
        {
            throw new ArgumentException("Only a group result can be saved as group meta.", nameof(group));
        }

        return Write(writer =>
        {
            writer.WriteStartObject();
            writer.WritePropertyName("result");
            group.WriteTo(writer);
            writer.WriteEndObject();
        });
    }

    /// <summary>Reads the value of <c>celery-taskset-meta-&lt;gid&gt;</c> (Celery's <c>GroupResult.restore</c>).</summary>
    public static ResultTuple ReadGroupMeta(string json)
    {
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("result", out var result))
        {
            throw new JsonException("Group meta has no \"result\" key.");
        }

        return Read(result);
    }

    private static string Write(Action<Utf8JsonWriter> write) => CanvasJson.WriteToString(write);
}
