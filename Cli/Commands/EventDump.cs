using System.Globalization;
using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Cli.Commands;

/// <summary>
/// Formats events as <c>celery events --dump</c> prints them: <c>node [time] what: fields</c>, with a task's name,
/// id and arguments remembered from its <c>task-received</c> (or <c>task-sent</c>) event and repeated on later ones.
/// </summary>
internal sealed class EventDump
{
    // Celery keeps 4095 task names; so do we, forgetting the oldest.
    private const int RememberedTasks = 0xFFF;

    private static readonly Dictionary<string, string> HumanTypes = new(StringComparer.Ordinal)
    {
        [CeleryEventTypes.WorkerOffline] = "shutdown",
        [CeleryEventTypes.WorkerOnline] = "started",
        [CeleryEventTypes.WorkerHeartbeat] = "heartbeat",
    };

    private static readonly HashSet<string> Header = new(StringComparer.Ordinal) { "type", "hostname", "timestamp" };

    private readonly Dictionary<string, string> _tasks = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public string Format(CeleryEvent evt)
    {
        var type = evt.Type.ToLowerInvariant();
        var human = HumanTypes.GetValueOrDefault(type) ?? type.Replace('-', ' ');
        // Python's str(datetime): microseconds only when there are any.
        var utc = evt.Timestamp.UtcDateTime;
        var time = utc.ToString(utc.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var skip = new HashSet<string>(Header, StringComparer.Ordinal);
        string? task = null;
        if (type.StartsWith("task-", StringComparison.Ordinal))
        {
            skip.Add("uuid");
            var id = evt.TaskId ?? string.Empty;
            if (type is CeleryEventTypes.TaskReceived or CeleryEventTypes.TaskSent)
            {
                skip.UnionWith(["name", "args", "kwargs"]);
                task = $"{evt.GetString("name")}({id}) args={Field(evt, "args")} kwargs={Field(evt, "kwargs")}";
                Remember(id, task);
            }
            else
            {
                task = _tasks.GetValueOrDefault(id, string.Empty);
            }
        }

        var fields = evt.Fields.ValueKind == JsonValueKind.Object
            ? string.Join(", ", evt.Fields.EnumerateObject()
                .Where(p => !skip.Contains(p.Name))
                .OrderBy(p => p.Name, StringComparer.Ordinal)
                .Select(p => $"{p.Name}={Text(p.Value)}"))
            : string.Empty;
        var line = new StringBuilder().Append(evt.Hostname).Append(" [").Append(time).Append("] ").Append(human);
        if (fields.Length > 0)
        {
            line.Append(':');
        }

        if (task is not null)
        {
            line.Append(' ').Append(task);
        }

        return line.Append(' ').Append(fields).ToString().TrimEnd();
    }

    private void Remember(string id, string task)
    {
        if (_tasks.TryAdd(id, task))
        {
            _order.Enqueue(id);
            if (_order.Count > RememberedTasks)
            {
                _tasks.Remove(_order.Dequeue());
            }
        }
        else
        {
            _tasks[id] = task;
        }
    }

    private static string Field(CeleryEvent evt, string name) =>
        evt.Fields.ValueKind == JsonValueKind.Object && evt.Fields.TryGetProperty(name, out var value) ? Text(value) : "None";

    // Python's str() of the decoded JSON value, as the dump shows it.
    private static string Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? string.Empty,
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Null or JsonValueKind.Undefined => "None",
        JsonValueKind.Array => "[" + string.Join(", ", value.EnumerateArray().Select(Repr)) + "]",
        JsonValueKind.Object => "{" + string.Join(", ", value.EnumerateObject().Select(p => $"'{p.Name}': {Repr(p.Value)}")) + "}",
        _ => value.GetRawText(),
    };

    private static string Repr(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? $"'{value.GetString()}'" : Text(value);
}
