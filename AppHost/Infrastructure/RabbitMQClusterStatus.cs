using System.Text.Json;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>What a local cluster's nodes say about it through <c>rabbitmqctl</c>; the first node that answers speaks.</summary>
internal static class RabbitMQClusterStatus
{
    /// <summary>The Erlang names of the nodes running in the cluster, as <paramref name="node"/> sees it.</summary>
    public static async Task<HashSet<string>> RunningNodesAsync(string rabbitMQCtlPath, RabbitMQExecutableResource node, CancellationToken cancellationToken)
    {
        var output = await RabbitMQCtl.RunAsync(rabbitMQCtlPath, node, ["cluster_status", "--formatter", "json"], cancellationToken);
        using var status = JsonDocument.Parse(output);
        return status.RootElement.GetProperty("running_nodes").EnumerateArray()
            .Select(n => n.GetString() ?? string.Empty)
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The running nodes, sorted, as the first node that answers sees them.</summary>
    public static Task<IReadOnlyList<string>> RunningNodesAsync(string rabbitMQCtlPath, IEnumerable<RabbitMQExecutableResource> nodes, CancellationToken cancellationToken) =>
        FirstAnswerAsync(nodes, async node => (IReadOnlyList<string>)[.. (await RunningNodesAsync(rabbitMQCtlPath, node, cancellationToken)).Order(StringComparer.Ordinal)]);

    /// <summary>The node whose Raft member leads the quorum queue <paramref name="queue"/>.</summary>
    public static Task<RabbitMQExecutableResource> QueueLeaderAsync(
        string rabbitMQCtlPath, IReadOnlyList<RabbitMQExecutableResource> nodes, string queue, CancellationToken cancellationToken) =>
        FirstAnswerAsync(nodes, async node =>
        {
            var output = await RabbitMQCtl.RunAsync(rabbitMQCtlPath, node, ["list_queues", "name", "leader", "--formatter", "json"], cancellationToken);
            using var queues = JsonDocument.Parse(output);
            var leader = queues.RootElement.EnumerateArray().Single(q => q.GetProperty("name").GetString() == queue).GetProperty("leader").GetString();
            return nodes.Single(n => n.NodeName == leader);
        });

    private static async Task<T> FirstAnswerAsync<T>(IEnumerable<RabbitMQExecutableResource> nodes, Func<RabbitMQExecutableResource, Task<T>> ask)
    {
        var failures = new List<string>();
        foreach (var node in nodes)
        {
            try
            {
                return await ask(node);
            }
            catch (Exception ex) when (ex is InvalidOperationException or JsonException or KeyNotFoundException)
            {
                failures.Add($"{node.Name}: {ex.Message}");
            }
        }

        throw new InvalidOperationException("No node answered. " + string.Join(" ", failures));
    }
}
