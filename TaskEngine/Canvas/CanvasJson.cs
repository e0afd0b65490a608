using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// Celery's dict form of a signature, both directions. Writing is strict (the key order of real Celery captures);
/// reading is tolerant (extra keys, tuples as lists, null options, a single link instead of a list, kombu 5.3
/// <c>{"__type__": "datetime"}</c> values).
/// </summary>
internal static class CanvasJson
{
    private const string IsoFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffffzzz";

    /// <summary>
    /// Like Python's <c>json.dumps</c>, leave <c>+</c>, <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c> and <c>'</c> unescaped
    /// (the default encoder would write <c>+00:00</c> as <c>\u002B00:00</c>). Non-ASCII text is written as UTF-8.
    /// </summary>
    public static JsonWriterOptions WriterOptions { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // One buffer per thread for WriteToString: a MemoryStream and the writer's own 4 KB buffer per call made each
    // workflow index entry (a 60-byte JSON) cost 3.5 KB, a 1,000-part chord 3.5 MB. Nested calls get a fresh one.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    [ThreadStatic]
    private static bool _bufferInUse;

    private const int MaxKeptBuffer = 64 * 1024;

    public static string WriteToString(Action<Utf8JsonWriter> write)
    {
        if (_bufferInUse)
        {
            return Write(new ArrayBufferWriter<byte>(256), write);
        }

        _bufferInUse = true;
        try
        {
            var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
            buffer.ResetWrittenCount();
            var json = Write(buffer, write);
            if (buffer.Capacity > MaxKeptBuffer)
            {
                _buffer = null;
            }

            return json;
        }
        finally
        {
            _bufferInUse = false;
        }

        static string Write(ArrayBufferWriter<byte> buffer, Action<Utf8JsonWriter> write)
        {
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                write(writer);
            }

            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    public static string Serialize(Signature signature) => WriteToString(writer => Write(writer, signature));

    public static Signature Deserialize(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Read(document.RootElement);
    }

    public static string FormatDate(DateTimeOffset value) => value.ToString(IsoFormat, CultureInfo.InvariantCulture);

    public static void Write(Utf8JsonWriter writer, Signature signature)
    {
        writer.WriteStartObject();
        writer.WriteString("task", signature.Task);
        writer.WritePropertyName("args");
        WriteArray(writer, signature.Args);
        writer.WritePropertyName("kwargs");
        WriteKwargs(writer, signature);
        writer.WritePropertyName("options");
        WriteOptions(writer, signature.Options);
        writer.WriteString("subtask_type", signature.SubtaskType);
        writer.WriteBoolean("immutable", signature.IsImmutable);
        foreach (var (key, value) in signature.Extra)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    public static void WriteList(Utf8JsonWriter writer, IReadOnlyList<Signature>? signatures)
    {
        if (signatures is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartArray();
        foreach (var signature in signatures)
        {
            Write(writer, signature);
        }

        writer.WriteEndArray();
    }

    public static void WriteArray(Utf8JsonWriter writer, IReadOnlyList<JsonElement> values)
    {
        writer.WriteStartArray();
        foreach (var value in values)
        {
            value.WriteTo(writer);
        }

        writer.WriteEndArray();
    }

    public static void WriteObject(Utf8JsonWriter writer, IReadOnlyDictionary<string, JsonElement> values)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in values)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteKwargs(Utf8JsonWriter writer, Signature signature)
    {
        switch (signature)
        {
            case TaskSignature task:
                WriteObject(writer, task.Kwargs);
                return;
            case Chain chain:
                writer.WriteStartObject();
                writer.WritePropertyName("tasks");
                WriteList(writer, chain.Tasks);
                writer.WriteEndObject();
                return;
            case Group group:
                writer.WriteStartObject();
                writer.WritePropertyName("tasks");
                WriteList(writer, group.Tasks);
                writer.WriteEndObject();
                return;
            case Chord chord:
                writer.WriteStartObject();
                writer.WritePropertyName("kwargs");
                WriteObject(writer, chord.HeaderKwargs);
                writer.WritePropertyName("header");
                Write(writer, chord.Header);
                writer.WritePropertyName("body");
                Write(writer, chord.Body);
                writer.WriteEndObject();
                return;
            case MapSignature map:
                WriteMapKwargs(writer, map.Callee, map.Items, (map as Chunks)?.Size);
                return;
            default:
                throw new NotSupportedException($"Unknown signature type {signature.GetType().Name}.");
        }
    }

    private static void WriteMapKwargs(Utf8JsonWriter writer, Signature callee, IReadOnlyList<JsonElement> items, int? size)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("task");
        Write(writer, callee);
        writer.WritePropertyName("it");
        WriteArray(writer, items);
        if (size is { } n)
        {
            writer.WriteNumber("n", n);
        }

        writer.WriteEndObject();
    }

    public static void WriteOptions(Utf8JsonWriter writer, SignatureOptions options)
    {
        writer.WriteStartObject();
        WriteString(writer, "task_id", options.TaskId);
        WriteString(writer, "reply_to", options.ReplyTo);
        WriteString(writer, "group_id", options.GroupId);
        if (options.Chord is { } chord)
        {
            writer.WritePropertyName("chord");
            Write(writer, chord);
        }

        if (options.GroupIndex is { } groupIndex)
        {
            writer.WriteNumber("group_index", groupIndex);
        }

        WriteString(writer, "root_id", options.RootId);
        WriteString(writer, "parent_id", options.ParentId);
        WriteSignatures(writer, "chain", options.Chain);
        WriteSignatures(writer, "link", options.Link);
        WriteSignatures(writer, "link_error", options.LinkError);
        WriteString(writer, "queue", options.Queue);
        if (options.Priority is { } priority)
        {
            writer.WriteNumber("priority", priority);
        }

        WriteNumber(writer, "countdown", options.Countdown);
        if (options.Eta is { } eta)
        {
            writer.WriteString("eta", FormatDate(eta));
        }

        if (options.ExpiresAt is { } expiresAt)
        {
            writer.WriteString("expires", FormatDate(expiresAt));
        }
        else
        {
            WriteNumber(writer, "expires", options.ExpiresInSeconds);
        }

        WriteNumber(writer, "time_limit", options.TimeLimit);
        WriteNumber(writer, "soft_time_limit", options.SoftTimeLimit);
        if (options.Headers is { } headers)
        {
            writer.WritePropertyName("headers");
            WriteObject(writer, headers);
        }

        if (options.IgnoreResult is { } ignoreResult)
        {
            writer.WriteBoolean("ignore_result", ignoreResult);
        }

        WriteString(writer, "shadow", options.Shadow);
        foreach (var (key, value) in options.Extra)
        {
            writer.WritePropertyName(key);
            value.WriteTo(writer);
        }

        writer.WriteEndObject();
    }

    private static void WriteString(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
    }

    private static void WriteSignatures(Utf8JsonWriter writer, string name, IReadOnlyList<Signature>? signatures)
    {
        if (signatures is not null)
        {
            writer.WritePropertyName(name);
            WriteList(writer, signatures);
        }
    }

    // ---------------------------------------------------------------- reading

    public static Signature Read(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException($"A signature must be a JSON object, not {element.ValueKind}.");
        }

        string? task = null;
        string? subtaskType = null;
        IReadOnlyList<JsonElement> args = [];
        JsonElement kwargs = default;
        var options = SignatureOptions.None;
        var immutable = false;
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "task":
                    task = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                    break;
                case "subtask_type":
                    subtaskType = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
                    break;
                case "args":
                    args = ReadArray(value);
                    break;
                case "kwargs":
                    kwargs = value;
                    break;
                case "options":
                    options = ReadOptions(value);
                    break;
                case "immutable":
                    immutable = value.ValueKind == JsonValueKind.True;
                    break;
                default:
                    (extra ??= new(StringComparer.Ordinal))[property.Name] = value.Clone();
                    break;
            }
        }

        Signature signature = subtaskType switch
        {
            null or "" => new TaskSignature(task ?? throw new JsonException("A signature needs a \"task\" name."))
            {
                Kwargs = ReadObject(kwargs),
            },
            "chain" => new Chain(ReadList(Get(kwargs, "tasks"))),
            "group" => new Group(ReadList(Get(kwargs, "tasks"))),
            "chord" => ReadChord(kwargs),
            "xmap" => new Map(ReadCallee(kwargs), ReadArray(Get(kwargs, "it"))),
            "xstarmap" => new Starmap(ReadCallee(kwargs), ReadArray(Get(kwargs, "it"))),
            "chunks" => new Chunks(ReadCallee(kwargs), ReadArray(Get(kwargs, "it")), Get(kwargs, "n").GetInt32()),
            _ => throw new JsonException($"Unknown subtask_type \"{subtaskType}\"."),
        };

        return signature with
        {
            Args = args,
            Options = options,
            IsImmutable = immutable,
            Extra = (IReadOnlyDictionary<string, JsonElement>?)extra ?? ValueMap.Empty,
        };
    }

    private static Chord ReadChord(JsonElement kwargs)
    {
        var header = Get(kwargs, "header");
        var body = Get(kwargs, "body");
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A chord needs a \"body\" signature.");
        }

        var group = header.ValueKind switch
        {
            JsonValueKind.Array => new Group(ReadList(header)),
            JsonValueKind.Object => Read(header) switch
            {
                Group g => g,
                Chain c => new Group(c.Tasks),
                var single => new Group([single]),
            },
            _ => new Group([]),
        };

        return new Chord(group, Read(body)) { HeaderKwargs = ReadObject(Get(kwargs, "kwargs")) };
    }

    private static Signature ReadCallee(JsonElement kwargs)
    {
        var callee = Get(kwargs, "task");
        return callee.ValueKind == JsonValueKind.String
            ? new TaskSignature(callee.GetString()!)
            : Read(callee);
    }

    private static JsonElement Get(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;

    public static IReadOnlyList<JsonElement> ReadArray(JsonElement element) =>
        element.ValueKind == JsonValueKind.Array ? [.. element.EnumerateArray().Select(e => e.Clone())] : [];

    public static IReadOnlyDictionary<string, JsonElement> ReadObject(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return ValueMap.Empty;
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    /// <summary>A list of signatures; Python's <c>maybe_list</c> also allows a single signature. Null items are skipped.</summary>
    public static IReadOnlyList<Signature>? ReadListOrNull(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => [.. element.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object).Select(Read)],
        JsonValueKind.Object => [Read(element)],
        _ => null,
    };

    private static IReadOnlyList<Signature> ReadList(JsonElement element) => ReadListOrNull(element) ?? [];

    public static SignatureOptions ReadOptions(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return SignatureOptions.None;
        }

        var options = new SignatureOptions();
        Dictionary<string, JsonElement>? extra = null;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null)
            {
                continue; // Python reads None and a missing key alike.
            }

            SignatureOptions? known;
            try
            {
                known = ReadKnownOption(options, property.Name, value);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException)
            {
                known = null; // an unexpected shape: keep the raw value so it still round-trips
            }

            options = known ?? Keep(options, ref extra, property.Name, value);
        }

        return extra is null ? options : options with { Extra = extra };
    }

    private static SignatureOptions? ReadKnownOption(SignatureOptions options, string name, JsonElement value) => name switch
    {
        "task_id" => options with { TaskId = value.GetString() },
        "reply_to" => options with { ReplyTo = value.GetString() },
        "group_id" => options with { GroupId = value.GetString() },
        "chord" => options with { Chord = Read(value) },
        "group_index" => options with { GroupIndex = value.GetInt32() },
        "root_id" => options with { RootId = value.GetString() },
        "parent_id" => options with { ParentId = value.GetString() },
        "chain" => options with { Chain = ReadListOrNull(value) },
        "link" => options with { Link = ReadListOrNull(value) },
        "link_error" => options with { LinkError = ReadListOrNull(value) },
        "queue" when value.ValueKind == JsonValueKind.String => options with { Queue = value.GetString() },
        "priority" => options with { Priority = value.GetInt32() },
        "countdown" => options with { Countdown = value.GetDouble() },
        "eta" => options with { Eta = ReadDate(value) },
        "expires" when value.ValueKind == JsonValueKind.Number => options with { ExpiresInSeconds = value.GetDouble() },
        "expires" => options with { ExpiresAt = ReadDate(value) },
        "time_limit" => options with { TimeLimit = value.GetDouble() },
        "soft_time_limit" => options with { SoftTimeLimit = value.GetDouble() },
        "headers" when value.ValueKind == JsonValueKind.Object => options with { Headers = ReadObject(value) },
        "ignore_result" => options with { IgnoreResult = value.GetBoolean() },
        "shadow" => options with { Shadow = value.GetString() },
        _ => null,
    };

    private static SignatureOptions Keep(SignatureOptions options, ref Dictionary<string, JsonElement>? extra, string name, JsonElement value)
    {
        (extra ??= new(StringComparer.Ordinal))[name] = value.Clone();
        return options;
    }

    /// <summary>An ISO-8601 string (naive means UTC) or kombu 5.3's <c>{"__type__": "datetime", "__value__": "..."}</c>.</summary>
    public static DateTimeOffset ReadDate(JsonElement value)
    {
        var text = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("__value__", out var inner)
            ? inner.GetString()
            : value.GetString();
        return DateTimeOffset.Parse(
            text ?? throw new JsonException("Expected a date."),
            CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }
}

/// <summary>Lets <see cref="JsonSerializer"/> read and write any <see cref="Signature"/> in Celery's dict form.</summary>
internal sealed class SignatureJsonConverter : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeof(Signature).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(Converter<>).MakeGenericType(typeToConvert))!;

    private sealed class Converter<T> : JsonConverter<T>
        where T : Signature
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            using var document = JsonDocument.ParseValue(ref reader);
            return CanvasJson.Read(document.RootElement) as T
                ?? throw new JsonException($"The signature is not a {typeof(T).Name}.");
        }

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) =>
            CanvasJson.Write(writer, value);
    }
}
