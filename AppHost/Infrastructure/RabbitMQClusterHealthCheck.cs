using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Onboarding.AppHost.Infrastructure;

/// <summary>
/// Healthy once every node runs in one cluster, as the first node that answers sees it: a node that is up but has
/// formed a cluster of its own, or a node that is down, keeps the cluster unhealthy.
/// </summary>
internal sealed class RabbitMQClusterHealthCheck(RabbitMQClusterResource cluster, string rabbitMQCtlPath) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failures = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            try
            {
                var (running, expected) = node switch
                {
                    RabbitMQExecutableResource executable => (await RabbitMQClusterStatus.RunningNodesAsync(rabbitMQCtlPath, executable, cancellationToken), ExpectedNodeNames()),
                    RabbitMQServerResource container => (await RunningNodesAsync(container, cancellationToken), null),
                    _ => throw new InvalidOperationException($"{node.GetType().Name} is not a RabbitMQ node."),
                };
                var clustered = expected is null ? running.Count == cluster.Nodes.Count : expected.All(running.Contains);
                var description = $"{running.Count} of {cluster.Nodes.Count} nodes running in one cluster, seen by {node.Name}: {string.Join(", ", running.Order(StringComparer.Ordinal))}";
                return clustered ? HealthCheckResult.Healthy(description) : HealthCheckResult.Unhealthy(description);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException or JsonException or KeyNotFoundException)
            {
                failures.Add($"{node.Name}: {ex.Message}");
            }
        }

        return HealthCheckResult.Unhealthy("No node answered. " + string.Join(" ", failures));
    }

    private HashSet<string> ExpectedNodeNames() =>
        cluster.Nodes.OfType<RabbitMQExecutableResource>().Select(n => n.NodeName).ToHashSet(StringComparer.Ordinal);

    private static async Task<HashSet<string>> RunningNodesAsync(RabbitMQServerResource node, CancellationToken cancellationToken)
    {
        var management = node.GetEndpoint("management");
        var password = await node.PasswordParameter.GetValueAsync(cancellationToken);
        var userName = node.UserNameParameter is { } user ? await user.GetValueAsync(cancellationToken) : RabbitMQClusterResource.UserName;
        using var http = new HttpClient { BaseAddress = new Uri(management.Url), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}")));
        using var nodes = JsonDocument.Parse(await http.GetStringAsync("/api/nodes?columns=name,running", cancellationToken));
        return nodes.RootElement.EnumerateArray()
            .Where(n => n.TryGetProperty("running", out var running) && running.ValueKind == JsonValueKind.True)
            .Select(n => n.GetProperty("name").GetString() ?? string.Empty)
            .ToHashSet(StringComparer.Ordinal);
    }
}
