using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>A task message as AMQP headers and body bytes, free of any client library types.</summary>
internal readonly record struct EncodedTaskMessage(Dictionary<string, object?> Headers, byte[] Body);

/// <summary>
/// The only place that knows Celery protocol v2 bytes (docs/wire-format.md, "Task messages"): header table, body
/// <c>[args, kwargs, embed]</c>, strict content type on input, tolerant value types on input.
/// </summary>
internal static class TaskEnvelope
{
    public const string ContentType = "application/json";
    public const string ContentEncoding = "utf-8";

    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    /// <summary>Writes the standard header table; extras come last and may override nothing standard.</summary>
    public static EncodedTaskMessage Encode(TaskMessage message)
    {
        var headers = new Dictionary<string, object?>(20 + message.ExtraHeaders.Count, StringComparer.Ordinal);
        foreach (var (key, value) in message.ExtraHeaders)
        {
            headers[key] = value;
        }

        headers["lang"] = message.Lang;
        headers["task"] = message.Name;
        headers["id"] = message.Id;
        headers["shadow"] = message.Shadow;
        headers["eta"] = message.Eta is { } eta ? CeleryTime.FormatHeader(eta) : null;
        headers["expires"] = message.Expires is { } expires ? CeleryTime.FormatHeader(expires) : null;
        headers["group"] = message.GroupId;
        headers["group_index"] = message.GroupIndex;
        headers["retries"] = message.Retries;
        headers["timelimit"] = new List<object?>(2) { LimitValue(message.TimeLimit), LimitValue(message.SoftTimeLimit) };
        headers["root_id"] = message.RootId ?? message.Id;
        headers["parent_id"] = message.ParentId;
        headers["argsrepr"] = message.ArgsRepr ?? ArgsRepr(message.Args);
        headers["kwargsrepr"] = message.KwargsRepr ?? KwargsRepr(message.Kwargs);
        headers["origin"] = message.Origin;
        headers["ignore_result"] = message.IgnoreResult;

        return new EncodedTaskMessage(headers, EncodeBody(message));
    }

    public static byte[] EncodeBody(TaskMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            writer.WriteStartArray();
            for (var i = 0; i < message.Args.Count; i++)
            {
                message.Args[i].WriteTo(writer);
            }

            writer.WriteEndArray();
            writer.WriteStartObject();
            foreach (var (key, value) in message.Kwargs)
            {
                writer.WritePropertyName(key);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteStartObject();
            WriteOptional(writer, "callbacks", message.Callbacks);
            WriteOptional(writer, "errbacks", message.Errbacks);
            WriteOptional(writer, "chain", message.Chain);
            WriteOptional(writer, "chord", message.Chord);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads a delivered message. Throws <see cref="TaskProtocolException"/> with a reason for anything a Celery
    /// worker would reject; the task id is attached whenever it could be read. The id is the <c>id</c> header, or
    /// else <paramref name="correlationId"/>: Celery sets the AMQP correlation_id to the task id, so a message that
    /// lost its header still names the result its caller waits on.
    /// </summary>
    public static TaskMessage Decode(
        IDictionary<string, object?>? headers,
        ReadOnlyMemory<byte> body,
        string? contentType,
        string? replyTo = null,
        byte priority = 0,
        string? correlationId = null)
    {
        var id = TaskId(headers, correlationId);
        var name = headers is null ? null : AsString(Get(headers, "task"));

        if (!string.Equals(contentType, ContentType, StringComparison.Ordinal))
        {
            throw new TaskProtocolException(
                "content-type", $"Content type '{contentType}' is not accepted; only '{ContentType}' is.", id, name);
        }

        if (headers is null || string.IsNullOrEmpty(id) || string.IsNullOrEmpty(name))
        {
            throw new TaskProtocolException("headers", "The message lacks the protocol v2 headers 'task' and 'id'.", id, name);
        }

        IReadOnlyList<JsonElement> args;
        IReadOnlyDictionary<string, JsonElement> kwargs;
        JsonElement? callbacks = null, errbacks = null, chain = null, chord = null;
        // JSON parsing does not look inside string values, so invalid UTF-8 would reach handlers as U+FFFD, or pass
        // through into the stored result as bytes no client can decode. Celery's worker rejects such a body when it
        // decodes it (the content encoding is utf-8); so does ours, before anything runs.
        if (!Utf8.IsValid(body.Span))
        {
            throw new TaskProtocolException("body", "The body is not valid UTF-8.", id, name);
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array || root.GetArrayLength() < 2
                || root[0].ValueKind != JsonValueKind.Array || root[1].ValueKind != JsonValueKind.Object)
            {
                throw new TaskProtocolException("body", "The body is not [args, kwargs, embed].", id, name);
            }

            var argsElement = root[0];
            var argList = new JsonElement[argsElement.GetArrayLength()];
            var index = 0;
            foreach (var item in argsElement.EnumerateArray())
            {
                argList[index++] = item.Clone();
            }

            args = argList;
            var kwargsMap = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in root[1].EnumerateObject())
            {
                kwargsMap[property.Name] = property.Value.Clone();
            }

            kwargs = kwargsMap;
            if (root.GetArrayLength() > 2 && root[2].ValueKind == JsonValueKind.Object)
            {
                var embed = root[2];
                callbacks = ReadOptional(embed, "callbacks");
                errbacks = ReadOptional(embed, "errbacks");
                chain = ReadOptional(embed, "chain");
                chord = ReadOptional(embed, "chord");
            }
        }
        catch (JsonException ex)
        {
            throw new TaskProtocolException("body", $"The body is not valid JSON: {ex.Message}", id, name);
        }

        var extras = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (key, value) in headers)
        {
            if (!IsStandardHeader(key))
            {
                extras[key] = Normalize(value);
            }
        }

        var (hard, soft) = ReadTimeLimit(Get(headers, "timelimit"));
        return new TaskMessage
        {
            Id = id,
            Name = name,
            Args = args,
            Kwargs = kwargs,
            Callbacks = callbacks,
            Errbacks = errbacks,
            Chain = chain,
            Chord = chord,
            Lang = AsString(Get(headers, "lang")) ?? "py",
            Shadow = AsString(Get(headers, "shadow")),
            Eta = ReadTime(headers, "eta", id, name),
            Expires = ReadTime(headers, "expires", id, name),
            GroupId = AsString(Get(headers, "group")),
            GroupIndex = AsInt(Get(headers, "group_index")),
            Retries = AsInt(Get(headers, "retries")) ?? 0,
            TimeLimit = hard,
            SoftTimeLimit = soft,
            RootId = AsString(Get(headers, "root_id")),
            ParentId = AsString(Get(headers, "parent_id")),
            ArgsRepr = AsString(Get(headers, "argsrepr")),
            KwargsRepr = AsString(Get(headers, "kwargsrepr")),
            Origin = AsString(Get(headers, "origin")),
            IgnoreResult = AsBool(Get(headers, "ignore_result")),
            ReplyTo = replyTo,
            Priority = priority,
            ExtraHeaders = extras,
        };
    }

    /// <summary>Reads a header as a string (RabbitMQ.Client hands AMQP long strings over as UTF-8 bytes).</summary>
    /// <summary>The task id of a delivered message: the <c>id</c> header, else the AMQP correlation_id (Celery sets both).</summary>
    public static string? TaskId(IDictionary<string, object?>? headers, string? correlationId)
    {
        var id = headers is null ? null : AsString(Get(headers, "id"));
        return string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(correlationId) ? correlationId : id;
    }

    public static string? AsString(object? value) => value switch
    {
        null => null,
        string s => s,
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    public static int? AsInt(object? value) => value switch
    {
        int i => i,
        long l => (int)l,
        short s => s,
        byte b => b,
        sbyte sb => sb,
        uint ui => (int)ui,
        ushort us => us,
        double d => (int)d,
        float f => (int)f,
        decimal m => (int)m,
        byte[] or string => int.TryParse(AsString(value), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null,
        _ => null,
    };

    public static double? AsDouble(object? value) => value switch
    {
        null => null,
        int i => i,
        long l => l,
        double d => d,
        float f => f,
        decimal m => (double)m,
        short s => s,
        byte b => b,
        byte[] or string => double.TryParse(AsString(value), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null,
        _ => null,
    };

    private static bool AsBool(object? value) => value switch
    {
        bool b => b,
        int i => i != 0,
        byte[] or string => string.Equals(AsString(value), "true", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>Turns AMQP byte strings into strings so that extras can be re-published as they came.</summary>
    private static object? Normalize(object? value) => value switch
    {
        byte[] bytes => Encoding.UTF8.GetString(bytes),
        IList list => NormalizeList(list),
        _ => value,
    };

    private static List<object?> NormalizeList(IList list)
    {
        var result = new List<object?>(list.Count);
        foreach (var item in list)
        {
            result.Add(Normalize(item));
        }

        return result;
    }

    private static object? Get(IDictionary<string, object?> headers, string key) =>
        headers.TryGetValue(key, out var value) ? value : null;

    private static DateTimeOffset? ReadTime(IDictionary<string, object?> headers, string key, string id, string name)
    {
        var text = AsString(Get(headers, key));
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return CeleryTime.TryParse(text, out var value)
            ? value
            : throw new TaskProtocolException(key, $"Header '{key}' is not an ISO-8601 time: '{text}'.", id, name);
    }

    private static (double? Hard, double? Soft) ReadTimeLimit(object? value)
    {
        if (value is IList { Count: >= 2 } list)
        {
            return (AsDouble(list[0]), AsDouble(list[1]));
        }

        return (null, null);
    }

    private static object? LimitValue(double? seconds) => seconds switch
    {
        null => null,
        { } s when s == Math.Floor(s) && s is >= int.MinValue and <= int.MaxValue => (int)s,
        { } s => s,
    };

    /// <summary>
    /// Headers that are not extras: the protocol's own, the broker's dead-letter bookkeeping (x-death grows with
    /// every hop through a delay queue; a quorum queue's x-delivery-count) and RabbitMQ.Client's publish sequence number.
    /// </summary>
    private static bool IsStandardHeader(string key) => key switch
    {
        "lang" or "task" or "id" or "shadow" or "eta" or "expires" or "group" or "group_index" or "retries"
            or "timelimit" or "root_id" or "parent_id" or "argsrepr" or "kwargsrepr" or "origin" or "ignore_result" => true,
        "x-death" or "x-first-death-exchange" or "x-first-death-queue" or "x-first-death-reason"
            or "x-last-death-exchange" or "x-last-death-queue" or "x-last-death-reason" or "x-dotnet-pub-seq-no" or "x-delivery-count" => true,
        // A worker's own mark on a parked copy: a retry or a child of the task must be announced again.
        MessageHeaders.ReceivedAnnounced => true,
        _ => false,
    };

    private static void WriteOptional(Utf8JsonWriter writer, string name, JsonElement? value)
    {
        writer.WritePropertyName(name);
        if (value is { ValueKind: not JsonValueKind.Undefined } element)
        {
            element.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static JsonElement? ReadOptional(JsonElement embed, string name) =>
        embed.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    internal static string ArgsRepr(IReadOnlyList<JsonElement> args) => PythonRepr.Args(args);

    internal static string KwargsRepr(IReadOnlyDictionary<string, JsonElement> kwargs) => PythonRepr.Kwargs(kwargs);
}
