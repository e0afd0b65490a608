using System.Text;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.AppHost;

/// <summary>
/// The AppHost's three-node cluster on this machine's <c>rabbitmq-server</c>: formed, used through every node, a node
/// lost and rejoined.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RabbitMQClusterTests(RabbitMQClusterFixture cluster) : IClassFixture<RabbitMQClusterFixture>
{
    [Fact]
    public async Task Start_RunsThreeNodesInOneCluster_AndGivesEveryNodeInTheConnectionString()
    {
        var ct = TestContext.Current.CancellationToken;

        var running = await RabbitMQClusterFixture.RunningNodesAsync(cluster.Nodes, ct);

        Assert.Equal(cluster.Nodes.Select(n => n.NodeName).Order(StringComparer.Ordinal), running);
        var uris = cluster.RabbitMqConnectionString.Split(';');
        Assert.Equal(cluster.Nodes.Select(n => n.PrimaryEndpoint.Port), uris.Select(u => new Uri(u).Port));
    }

    [Fact]
    public async Task Start_ShowsEveryNodesAmqpUrlFirst_AndNoErlangPort()
    {
        var ct = TestContext.Current.CancellationToken;

        foreach (var node in cluster.Nodes)
        {
            // What the dashboard lists for the node, as the running AppHost publishes it.
            var amqp = $"amqp://localhost:{node.PrimaryEndpoint.Port}";
            var shown = await cluster.App.ResourceNotifications.WaitForResourceAsync(
                node.Name, e => e.Snapshot.Urls.Any(u => u.Url == amqp), ct);
            var urls = shown.Snapshot.Urls.Where(u => !u.IsInternal).OrderByDescending(u => u.DisplayProperties.SortOrder).ToList();

            Assert.Equal((amqp, "AMQP"), (urls[0].Url, urls[0].DisplayProperties.DisplayName));
            Assert.DoesNotContain(urls, u => u.Name == RabbitMQExecutableResource.DistributionEndpointName
                || u.Url.EndsWith($":{node.DistributionEndpoint.Port}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task EngineConnection_MovesToAnotherNode_WhenItsNodeIsKilled_AndTheNodeRejoins()
    {
        var ct = TestContext.Current.CancellationToken;
        using var host = EngineHost();
        // The engine's own connection, made from the cluster's connection string.
        var connection = host.Services.GetRequiredService<IConnection>();
        var victim = cluster.NodeListeningOn(connection.Endpoint.Port);

        // A quorum queue keeps copies on the other nodes, so its messages outlive the node it was declared on.
        var queue = "cluster-failover." + Guid.NewGuid().ToString("N")[..8];
        await using (var channel = await OpenConfirmingChannelAsync(connection, ct))
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: ct);
            await PublishAsync(channel, queue, "before", ct);
        }

        RabbitMQClusterFixture.Kill(victim);

        await Eventually.UntilAsync(
            () => connection.IsOpen && connection.Endpoint.Port != victim.PrimaryEndpoint.Port,
            TestTimeouts.StartAndHealthy, ct, TimeSpan.FromMilliseconds(200));
        await using (var channel = await OpenConfirmingChannelAsync(connection, ct))
        {
            await PublishAsync(channel, queue, "after", ct);
            Assert.Equal(["before", "after"], [await GetAsync(channel, queue, ct), await GetAsync(channel, queue, ct)]);
            await channel.QueueDeleteAsync(queue, cancellationToken: ct);
        }

        await cluster.StartAsync(victim, ct);
        Assert.Contains(victim.NodeName, await RabbitMQClusterFixture.RunningNodesAsync(cluster.Nodes, ct));
    }

    [Fact]
    public async Task CeleryClient_SendsThroughTheNextNode_WhenTheFirstNodeOfItsFailoverListIsDown()
    {
        var ct = TestContext.Current.CancellationToken;
        // Celery's failover form with a node that is down in first place: a port nothing listens on any more.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var nodes = cluster.RabbitMqConnectionString.Split(';');
        var down = new UriBuilder(nodes[0]) { Port = closedPort }.Uri.ToString().TrimEnd('/');
        var environment = Onboarding.Tests.Interop.PythonCelery.Environment(string.Join(';', [down, .. nodes]), cluster.RedisConnectionString);
        var queue = "cluster-celery." + Guid.NewGuid().ToString("N")[..8];

        var sent = await Onboarding.Tests.Interop.PythonCelery.SendAsync(environment, "diagnostics.add", "[2, 3]", ct, "--queue", queue, "--no-wait");

        using var host = EngineHost();
        await using var channel = await host.Services.GetRequiredService<IConnection>().CreateChannelAsync(cancellationToken: ct);
        var message = await channel.BasicGetAsync(queue, autoAck: true, ct);
        Assert.NotNull(message);
        Assert.Equal(sent.GetProperty("id").GetString(), Encoding.UTF8.GetString((byte[])message.BasicProperties.Headers!["id"]!));
        await channel.QueueDeleteAsync(queue, cancellationToken: ct);
    }

    private IHost EngineHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = cluster.RabbitMqConnectionString,
            ["ConnectionStrings:redis"] = cluster.RedisConnectionString,
        });
        builder.AddTaskEngine();
        return builder.Build();
    }

    private static Task<IChannel> OpenConfirmingChannelAsync(IConnection connection, CancellationToken ct) =>
        connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);

    private static async Task PublishAsync(IChannel channel, string queue, string body, CancellationToken ct) =>
        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true,
            new BasicProperties { DeliveryMode = DeliveryModes.Persistent }, Encoding.UTF8.GetBytes(body), ct);

    private static async Task<string?> GetAsync(IChannel channel, string queue, CancellationToken ct)
    {
        var result = await channel.BasicGetAsync(queue, autoAck: true, ct);
        return result is null ? null : Encoding.UTF8.GetString(result.Body.Span);
    }
}
