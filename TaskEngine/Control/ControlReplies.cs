using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Control;

/// <summary>The remote control command body, and the readers that turn nodes' replies into the typed records.</summary>
internal static class ControlReplies
{
    /// <summary>kombu's command body: method, arguments, destination, pattern, matcher, and for calls ticket and reply_to.</summary>
    public static byte[] Command(
        string method, IReadOnlyDictionary<string, object?>? arguments, IReadOnlyList<string>? destination, string? ticket, string oid)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("method", method);
            writer.WritePropertyName("arguments");
            JsonSerializer.Serialize(writer, arguments ?? new Dictionary<string, object?>(), TaskJson.Options);
            writer.WritePropertyName("destination");
            if (destination is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                writer.WriteStartArray();
                foreach (var node in destination)
                {
                    writer.WriteStringValue(node);
                }

                writer.WriteEndArray();
            }

            writer.WriteNull("pattern");
            writer.WriteNull("matcher");
            if (ticket is not null)
            {
                writer.WriteString("ticket", ticket);
                writer.WriteStartObject("reply_to");
                writer.WriteString("exchange", PidboxNames.ReplyExchange);
                writer.WriteString("routing_key", oid);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The message of an <c>{"error": …}</c> reply, else null.</summary>
    public static string? ErrorOf(JsonElement reply) =>
        reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty("error", out var error)
            ? error.ValueKind == JsonValueKind.String ? error.GetString() : error.GetRawText()
            : null;

    public static ControlResult Result(JsonElement reply) =>
        reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty("ok", out var ok)
            ? new ControlResult(true, ok.ValueKind == JsonValueKind.String ? ok.GetString()! : ok.GetRawText())
            : new ControlResult(false, reply.GetRawText());

    public static WorkerStats Stats(JsonElement reply)
    {
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        if (reply.TryGetProperty("total", out var counts) && counts.ValueKind == JsonValueKind.Object)
        {
            foreach (var count in counts.EnumerateObject())
            {
                if (count.Value.TryGetInt64(out var n))
                {
                    total[count.Name] = n;
                }
            }
        }

        return new WorkerStats
        {
            Pid = Int(reply, "pid"),
            Uptime = Double(reply, "uptime"),
            Clock = reply.TryGetProperty("clock", out var clock) ? clock.ValueKind == JsonValueKind.String ? clock.GetString() : clock.GetRawText() : null,
            MaxConcurrency = reply.TryGetProperty("pool", out var pool) && pool.ValueKind == JsonValueKind.Object ? Int(pool, "max-concurrency") : null,
            PrefetchCount = Int(reply, "prefetch_count"),
            Total = total,
            Raw = reply,
        };
    }

    public static IReadOnlyList<TaskRequestInfo> Requests(JsonElement reply) => [.. reply.EnumerateArray().Select(Request)];

    public static IReadOnlyList<ScheduledTaskInfo> Scheduled(JsonElement reply) =>
    [
        .. reply.EnumerateArray().Select(entry => new ScheduledTaskInfo(
            String(entry, "eta") is { } eta ? DateTimeOffset.Parse(eta, CultureInfo.InvariantCulture) : null,
            Int(entry, "priority"),
            Request(entry.GetProperty("request")))),
    ];

    public static IReadOnlyList<string> Strings(JsonElement reply) => [.. reply.EnumerateArray().Select(item => item.ToString())];

    public static IReadOnlyList<QueueInfo> Queues(JsonElement reply) =>
    [
        .. reply.EnumerateArray().Select(queue =>
        {
            var exchange = queue.TryGetProperty("exchange", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
            return new QueueInfo
            {
                Name = String(queue, "name") ?? string.Empty,
                Exchange = exchange.ValueKind == JsonValueKind.Object ? String(exchange, "name") : null,
                ExchangeType = exchange.ValueKind == JsonValueKind.Object ? String(exchange, "type") : null,
                RoutingKey = String(queue, "routing_key"),
                Durable = Bool(queue, "durable"),
                AutoDelete = Bool(queue, "auto_delete"),
                Raw = queue,
            };
        }),
    ];

    public static IReadOnlyDictionary<string, TaskQueryResult> Query(JsonElement reply)
    {
        var results = new Dictionary<string, TaskQueryResult>(StringComparer.Ordinal);
        foreach (var entry in reply.EnumerateObject())
        {
            // [state, request]
            var state = entry.Value[0].GetString() ?? "unknown";
            results[entry.Name] = new TaskQueryResult(state, Request(entry.Value[1]));
        }

        return results;
    }

    public static IReadOnlyDictionary<string, JsonElement> Object(JsonElement reply)
    {
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in reply.EnumerateObject())
        {
            values[property.Name] = property.Value;
        }

        return values;
    }

    public static TaskRequestInfo Request(JsonElement request)
    {
        var delivery = request.TryGetProperty("delivery_info", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
        return new TaskRequestInfo
        {
            Id = String(request, "id") ?? throw new FormatException("A request without an id."),
            Name = String(request, "name") ?? String(request, "type") ?? string.Empty,
            Args = request.TryGetProperty("args", out var args) ? args : default,
            Kwargs = request.TryGetProperty("kwargs", out var kwargs) ? kwargs : default,
            Hostname = String(request, "hostname"),
            TimeStart = Double(request, "time_start") is { } start ? DateTimeOffset.FromUnixTimeMilliseconds((long)(start * 1000)) : null,
            Acknowledged = Bool(request, "acknowledged"),
            RoutingKey = delivery.ValueKind == JsonValueKind.Object ? String(delivery, "routing_key") : null,
            Redelivered = delivery.ValueKind == JsonValueKind.Object && Bool(delivery, "redelivered"),
            WorkerPid = Int(request, "worker_pid"),
            Raw = request,
        };
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    private static double? Double(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    private static bool Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
