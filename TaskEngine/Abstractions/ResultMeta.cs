using System.Buffers;
using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// A <c>celery-task-meta-&lt;id&gt;</c> value (docs/wire-format.md, "Task meta"). Key order on write:
/// status, result, traceback, children, date_done, [group_id], [parent_id], task_id.
/// </summary>
public sealed record ResultMeta
{
    public required string TaskId { get; init; }

    public required TaskState State { get; init; }

    /// <summary>The result value; for FAILURE, RETRY and REVOKED the exception object.</summary>
    public JsonElement Result { get; init; }

    public string? Traceback { get; init; }

    public DateTimeOffset? DateDone { get; init; }

    public string? GroupId { get; init; }

    public string? ParentId { get; init; }

    /// <summary>
    /// What the task sent while it ran, as Celery stores it: result tuples, <c>[[id, parent], null]</c> for a task and
    /// <c>[[group id, parent], [member, ...]]</c> for a group. Undefined when it sent nothing.
    /// </summary>
    public JsonElement Children { get; init; }

    /// <summary>The stored exception when the state is FAILURE, RETRY or REVOKED and the result has exc_type.</summary>
    public ExceptionInfo? Exception =>
        Result.ValueKind == JsonValueKind.Object && Result.TryGetProperty("exc_type", out var type)
            ? new ExceptionInfo(
                type.GetString() ?? "Exception",
                Result.TryGetProperty("exc_message", out var message) ? message : default,
                Result.TryGetProperty("exc_module", out var module) && module.ValueKind == JsonValueKind.String
                    ? module.GetString()
                    : null)
            : null;

    public static ResultMeta Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        return new ResultMeta
        {
            TaskId = root.TryGetProperty("task_id", out var id) ? id.GetString() ?? string.Empty : string.Empty,
            State = TaskStates.Parse(root.TryGetProperty("status", out var status) ? status.GetString() : null),
            Result = root.TryGetProperty("result", out var result) ? result.Clone() : default,
            Traceback = root.TryGetProperty("traceback", out var tb) && tb.ValueKind == JsonValueKind.String ? tb.GetString() : null,
            DateDone = root.TryGetProperty("date_done", out var done) && done.ValueKind == JsonValueKind.String
                && CeleryTime.TryParse(done.GetString(), out var parsed) ? parsed : null,
            GroupId = root.TryGetProperty("group_id", out var group) && group.ValueKind == JsonValueKind.String ? group.GetString() : null,
            ParentId = root.TryGetProperty("parent_id", out var parent) && parent.ValueKind == JsonValueKind.String ? parent.GetString() : null,
            // Most tasks send nothing: an empty list costs no copy on the result-wait path.
            Children = root.TryGetProperty("children", out var children) && children.ValueKind == JsonValueKind.Array
                && children.GetArrayLength() > 0 ? children.Clone() : default,
        };
    }
}

/// <summary>Writes result meta JSON byte-compatible in key order with Celery's Redis backend.</summary>
internal static class ResultMetaWriter
{
    public static byte[] Success(
        string taskId, object? result, DateTimeOffset dateDone, string? groupId, string? parentId, string? childrenJson = null) =>
        Write(taskId, TaskState.Success, writer => WriteValue(writer, result), null, dateDone, groupId, parentId, childrenJson);

    public static byte[] Exception(
        string taskId, TaskState state, ExceptionInfo exception, string? traceback, DateTimeOffset? dateDone,
        string? groupId, string? parentId) =>
        Write(taskId, state, writer => WriteException(writer, exception), traceback, dateDone, groupId, parentId);

    /// <summary>Writes a meta; <c>childrenJson</c> is the <c>children</c> list (result tuples of what the task sent), null for <c>[]</c>.</summary>
    public static byte[] Write(
        string taskId, TaskState state, Action<Utf8JsonWriter> writeResult, string? traceback, DateTimeOffset? dateDone,
        string? groupId, string? parentId, string? childrenJson = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("status", state.ToWireName());
            writer.WritePropertyName("result");
            writeResult(writer);
            if (traceback is null)
            {
                writer.WriteNull("traceback");
            }
            else
            {
                writer.WriteString("traceback", traceback);
            }

            if (childrenJson is null)
            {
                writer.WriteStartArray("children");
                writer.WriteEndArray();
            }
            else
            {
                writer.WritePropertyName("children");
                writer.WriteRawValue(childrenJson);
            }
            if (dateDone is { } done)
            {
                writer.WriteString("date_done", CeleryTime.FormatDateDone(done));
            }
            else
            {
                writer.WriteNull("date_done");
            }

            if (groupId is not null)
            {
                writer.WriteString("group_id", groupId);
            }

            if (parentId is not null)
            {
                writer.WriteString("parent_id", parentId);
            }

            writer.WriteString("task_id", taskId);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteException(Utf8JsonWriter writer, ExceptionInfo exception)
    {
        writer.WriteStartObject();
        writer.WriteString("exc_type", exception.Type);
        writer.WritePropertyName("exc_message");
        if (exception.Message.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteStartArray();
            writer.WriteEndArray();
        }
        else
        {
            exception.Message.WriteTo(writer);
        }

        if (exception.Module is null)
        {
            writer.WriteNull("exc_module");
        }
        else
        {
            writer.WriteString("exc_module", exception.Module);
        }

        writer.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            default:
                JsonSerializer.Serialize(writer, value, value.GetType(), TaskJson.Options);
                break;
        }
    }
}
