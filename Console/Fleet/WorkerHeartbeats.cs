using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Monitoring;
using StackExchange.Redis;

namespace Onboarding.OperationsConsole.Fleet;

/// <summary>The last worker event of each node, kept in one Redis hash so a restarted console still knows the fleet.</summary>
public sealed class WorkerHeartbeats(IConnectionMultiplexer redis, IOptions<TaskIndexOptions> options)
{
    private string Key => options.Value.KeyPrefix + "workers";

    /// <summary>Records a worker-online, -heartbeat or -offline event.</summary>
    public Task RecordAsync(CeleryEvent celeryEvent)
    {
        ArgumentNullException.ThrowIfNull(celeryEvent);
        var fields = celeryEvent.Fields;
        string? load = fields.ValueKind == JsonValueKind.Object && fields.TryGetProperty("loadavg", out var loadavg) && loadavg.ValueKind == JsonValueKind.Array
            ? string.Join(", ", loadavg.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Number ? v.GetDouble().ToString("0.00", CultureInfo.InvariantCulture) : v.ToString()))
            : null;
        var software = celeryEvent.GetString("sw_ident") is { } ident ? $"{ident} {celeryEvent.GetString("sw_ver")} ({celeryEvent.GetString("sw_sys")})" : null;
        var heartbeat = new WorkerHeartbeat(
            celeryEvent.Hostname, celeryEvent.Type, celeryEvent.Timestamp, celeryEvent.GetDouble("freq") ?? 2,
            (long)(celeryEvent.GetDouble("active") ?? 0), (long)(celeryEvent.GetDouble("processed") ?? 0), load, software);
        return redis.GetDatabase().HashSetAsync(Key, heartbeat.Node, JsonSerializer.Serialize(heartbeat));
    }

    /// <summary>Every node ever seen, by name.</summary>
    public async Task<IReadOnlyList<WorkerHeartbeat>> GetAllAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(Key).ConfigureAwait(false);
        return [.. entries.Select(e => JsonSerializer.Deserialize<WorkerHeartbeat>((string)e.Value!)!).OrderBy(h => h.Node, StringComparer.Ordinal)];
    }

    /// <summary>Forgets a node (an operator removing a worker that will not come back).</summary>
    public Task ForgetAsync(string node) => redis.GetDatabase().HashDeleteAsync(Key, node);
}
