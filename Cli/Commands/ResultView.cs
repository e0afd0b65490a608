using System.Text.Json;
using Onboarding.Cli.Output;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary>A stored result as <c>result</c> and <c>call --wait</c> show it: state, result, traceback, children.</summary>
internal static class ResultView
{
    private static readonly JsonElement NoChildren = JsonDocument.Parse("[]").RootElement;

    public static void Write(CommandOutput output, string id, ResultMeta? meta)
    {
        if (output.Json)
        {
            output.WriteJson(new
            {
                id,
                state = (meta?.State ?? TaskState.Pending).ToWireName(),
                result = meta is null || meta.Result.ValueKind == JsonValueKind.Undefined ? (JsonElement?)null : meta.Result,
                traceback = meta?.Traceback,
                // Celery's own result tuples, for scripts that follow them.
                children = meta is null || meta.Children.ValueKind == JsonValueKind.Undefined ? NoChildren : meta.Children,
                dateDone = meta?.DateDone,
                parentId = meta?.ParentId,
                groupId = meta?.GroupId,
            });
            return;
        }

        var children = meta is null ? [] : ChildIds(meta.Children);
        output.WriteProperties(
        [
            ("id", id),
            ("state", (meta?.State ?? TaskState.Pending).ToWireName()),
            ("result", meta is null ? null : ResultText(meta)),
            ("done", meta?.DateDone?.ToString("u", System.Globalization.CultureInfo.InvariantCulture)),
            ("parent", meta?.ParentId),
            ("group", meta?.GroupId),
            ("children", children.Count == 0 ? null : string.Join('\n', children)),
            ("traceback", meta?.Traceback?.TrimEnd()),
        ]);
    }

    // An exception's message is its args list, as in Python; one string argument reads best bare.
    private static string ResultText(ResultMeta meta) => meta.Exception is { } exception
        ? exception.Message is { ValueKind: JsonValueKind.Array } args && args.GetArrayLength() == 1 && args[0].ValueKind == JsonValueKind.String
            ? $"{exception.Type}: {args[0].GetString()}"
            : $"{exception.Type}: {CommandOutput.Compact(exception.Message)}"
        : CommandOutput.Compact(meta.Result);

    /// <summary>
    /// The task ids in Celery's result tuples: <c>[[id, parent], null]</c> is a task, <c>[[gid, parent], [members]]</c>
    /// a group, shown as its members' ids (with the group's id first, marked).
    /// </summary>
    public static IReadOnlyList<string> ChildIds(JsonElement children)
    {
        var ids = new List<string>();
        if (children.ValueKind == JsonValueKind.Array)
        {
            foreach (var child in children.EnumerateArray())
            {
                Collect(child, ids);
            }
        }

        return ids;
    }

    private static void Collect(JsonElement tuple, List<string> ids)
    {
        if (tuple.ValueKind == JsonValueKind.String)
        {
            ids.Add(tuple.GetString()!);
            return;
        }

        if (tuple.ValueKind != JsonValueKind.Array || tuple.GetArrayLength() != 2)
        {
            return;
        }

        var head = tuple[0];
        var id = head.ValueKind == JsonValueKind.Array && head.GetArrayLength() > 0 ? head[0].GetString()
            : head.ValueKind == JsonValueKind.String ? head.GetString() : null;
        var members = tuple[1];
        if (members.ValueKind == JsonValueKind.Array)
        {
            ids.Add($"group {id}:");
            foreach (var member in members.EnumerateArray())
            {
                var before = ids.Count;
                Collect(member, ids);
                for (var i = before; i < ids.Count; i++)
                {
                    ids[i] = "  " + ids[i];
                }
            }
        }
        else if (id is not null)
        {
            ids.Add(id);
        }
    }
}
