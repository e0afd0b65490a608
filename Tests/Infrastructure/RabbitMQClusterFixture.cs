using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.AppHost.Infrastructure;

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// A three-node RabbitMQ cluster and Redis from the AppHost itself (<c>Infrastructure:RabbitMQNodes=3</c>, servers
/// only), as the machine's own <c>rabbitmq-server</c> processes, so that tests can kill a node and start it again.
/// </summary>
public sealed class RabbitMQClusterFixture : IAsyncLifetime
{
    public const string ClusterResourceName = "rabbitmq";

    private DistributedApplication? _app;

    public static string[] Arguments { get; } = TestAppHost.Arguments(
        infrastructureOnly: true, "--Infrastructure:Mode=executables", "--Infrastructure:RabbitMQNodes=3");

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The cluster has not started.");

    /// <summary>Every node's AMQP URI, separated by <c>;</c>.</summary>
    public string RabbitMqConnectionString { get; private set; } = string.Empty;

    public string RedisConnectionString { get; private set; } = string.Empty;

    public IReadOnlyList<RabbitMQExecutableResource> Nodes { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        _app = await TestAppHost.StartAsync(Arguments, CancellationToken.None);
        Nodes = NodesOf(_app);
        RabbitMqConnectionString = await _app.GetConnectionStringAsync(ClusterResourceName) ?? throw new InvalidOperationException("No rabbitmq connection string.");
        RedisConnectionString = await _app.GetConnectionStringAsync("redis") ?? throw new InvalidOperationException("No redis connection string.");
    }

    public static IReadOnlyList<RabbitMQExecutableResource> NodesOf(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<RabbitMQExecutableResource>()
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The node whose AMQP port is <paramref name="port"/>.</summary>
    public RabbitMQExecutableResource NodeListeningOn(int port) => Nodes.Single(n => n.PrimaryEndpoint.Port == port);

    /// <summary>The Erlang names of the nodes running in the cluster, as the first node that answers sees them.</summary>
    public static Task<IReadOnlyList<string>> RunningNodesAsync(IEnumerable<RabbitMQExecutableResource> nodes, CancellationToken cancellationToken) =>
        RabbitMQClusterStatus.RunningNodesAsync(new InfrastructureSettings().RabbitMQCtlPath, nodes, cancellationToken);

    /// <summary>The node leading the quorum queue <paramref name="queue"/>.</summary>
    public Task<RabbitMQExecutableResource> QueueLeaderAsync(string queue, CancellationToken cancellationToken) =>
        RabbitMQClusterStatus.QueueLeaderAsync(new InfrastructureSettings().RabbitMQCtlPath, Nodes, queue, cancellationToken);

    /// <summary>SIGKILLs the node's Erlang VM (not its wrapper script): the broker dies as a crashed machine's would.</summary>
    public static void Kill(RabbitMQExecutableResource node) => Assert.NotEqual(0, RabbitMQNodeProcesses.Kill(node));

    /// <summary>Whether an Erlang VM of the node is still there.</summary>
    public static bool IsRunning(RabbitMQExecutableResource node) => RabbitMQNodeProcesses.IsRunning(node);

    /// <summary>Starts a node the orchestrator saw exit, and waits until the cluster is whole again.</summary>
    public async Task StartAsync(RabbitMQExecutableResource node, CancellationToken cancellationToken)
    {
        await App.ResourceNotifications.WaitForResourceAsync(node.Name, KnownResourceStates.TerminalStates, cancellationToken)
            .WaitAsync(TestTimeouts.Operation, cancellationToken);
        var result = await App.ResourceCommands.ExecuteCommandAsync(node.Name, KnownResourceCommands.StartCommand, cancellationToken);
        Assert.True(result.Success, result.Message);
        // Not the cluster's health status: until its next check it may still report the health seen before the loss.
        await Eventually.UntilAsync(
            async () => (await TryRunningNodesAsync(Nodes, cancellationToken)).Count == Nodes.Count,
            TestTimeouts.StartAndHealthy,
            cancellationToken,
            TimeSpan.FromSeconds(1));
    }

    private static async Task<IReadOnlyList<string>> TryRunningNodesAsync(IEnumerable<RabbitMQExecutableResource> nodes, CancellationToken cancellationToken)
    {
        try
        {
            return await RunningNodesAsync(nodes, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await TestAppHost.StopAsync(_app);
        }
    }
}
