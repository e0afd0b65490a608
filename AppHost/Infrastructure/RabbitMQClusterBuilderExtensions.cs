using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Onboarding.AppHost.Infrastructure;

namespace Aspire.Hosting;

/// <summary>
/// Several RabbitMQ nodes that form one cluster: the machine's <c>rabbitmq-server</c> on loopback where no container
/// runtime answers, the stock containers elsewhere and in a published manifest.
/// </summary>
internal static class RabbitMQClusterBuilderExtensions
{
    private const string ResourceType = "RabbitMQCluster";

    // The Erlang ports a containerized node listens on: epmd, and distribution (RabbitMQ's AMQP port + 20000).
    private const int EpmdPort = 4369;
    private const int DistributionPort = 25672;

    public static IResourceBuilder<RabbitMQClusterResource> AddRabbitMQCluster(
        this IDistributedApplicationBuilder builder, string name, int nodeCount, InfrastructureSettings settings, InfrastructureMode mode)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var cookie = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-erlang-cookie", special: false);
        var cluster = new RabbitMQClusterResource(name, password);
        var clusterBuilder = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = ResourceType,
                State = KnownResourceStates.NotStarted,
                Properties = [],
            })
            .OnInitializeResource((resource, evt, initializing) =>
            {
                // Follows the nodes for the whole run, not only while resources are being initialized.
                _ = initializing;
                var stopping = evt.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                _ = FollowNodesAsync(resource, evt.Notifications, stopping);
                return Task.CompletedTask;
            })
            // A connection string and nothing to run: azd resolves each node's reference.
            .WithManifestPublishingCallback(context =>
            {
                context.Writer.WriteString("type", "value.v0");
                context.WriteConnectionString(cluster);
            });

        string? seedNodeName = null;
        for (var i = 0; i < nodeCount; i++)
        {
            var nodeResourceName = string.Create(CultureInfo.InvariantCulture, $"{name}-{i}");
            IResourceBuilder<IResourceWithConnectionString> node;
            if (mode == InfrastructureMode.Containers)
            {
                node = builder.AddClusterContainer(nodeResourceName, name, i, password, cookie);
            }
            else
            {
                var executable = builder.AddRabbitMQExecutable(nodeResourceName, settings, new RabbitMQClusterMembership(password, cookie, seedNodeName));
                seedNodeName ??= executable.Resource.NodeName;
                node = executable;
            }

            node.WithParentRelationship(clusterBuilder);
            cluster.AddNode(node.Resource);
        }

        var healthCheckKey = $"{name}_cluster_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheckKey, _ => new RabbitMQClusterHealthCheck(cluster, settings.RabbitMQCtlPath), failureStatus: null, tags: null));
        return clusterBuilder.WithHealthCheck(healthCheckKey);
    }

    private static IResourceBuilder<RabbitMQServerResource> AddClusterContainer(
        this IDistributedApplicationBuilder builder, string name, string clusterName, int index, ParameterResource password, ParameterResource cookie)
    {
        // Node names are rabbit@<resource name>: the container network resolves a resource's name to its container.
        var seed = $"rabbit@{clusterName}-0";
        var self = $"rabbit@{name}";
        var container = builder.AddRabbitMQ(name, password: builder.CreateResourceBuilder(password))
            .WithDataVolume()
            .WithAmqpUrlFirst("tcp")
            // Every node serves the management API: the cluster's health check and queue listing ask whichever is up.
            .WithManagementPlugin()
            .WithImageTag(ServerImageTags.RabbitMQWithManagement)
            .WithEnvironment("RABBITMQ_NODENAME", self)
            // The 3.10 image still reads the cookie from this variable (it warns that a later major version will not).
            .WithEnvironment("RABBITMQ_ERLANG_COOKIE", cookie);
        if (index > 0)
        {
            // Classic-config peer discovery through the Erlang application environment, which a variable can carry (a
            // deployment has no file to mount); the same seed scheme as the local nodes, see RabbitMQClusterMembership.
            container.WithEnvironment(
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS",
                $"-rabbit cluster_nodes {{['{seed}','{self}'],disc}} "
                + "-rabbit cluster_formation [{discovery_retry_limit,120},{discovery_retry_interval,1000}]");
        }

        if (builder.ExecutionContext.IsPublishMode)
        {
            // Containers of one local run share a network; a deployment has to open the Erlang ports between nodes.
            container
                .WithEndpoint(targetPort: EpmdPort, name: "epmd", scheme: "tcp")
                .WithEndpoint(targetPort: DistributionPort, name: "dist", scheme: "tcp");
        }

        return container;
    }

    /// <summary>
    /// Publishes the cluster's state from its nodes': running while any node runs, finished once all have stopped.
    /// Health (every node in the one cluster) is the health check's to say.
    /// </summary>
    private static async Task FollowNodesAsync(RabbitMQClusterResource cluster, ResourceNotificationService notifications, CancellationToken cancellationToken)
    {
        var names = cluster.Nodes.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var states = new Dictionary<string, string?>(StringComparer.Ordinal);
        string? published = null;
        try
        {
            await foreach (var evt in notifications.WatchAsync(cancellationToken))
            {
                if (!names.Contains(evt.Resource.Name))
                {
                    continue;
                }

                states[evt.Resource.Name] = evt.Snapshot.State?.Text;
                var running = states.Values.Count(s => s == KnownResourceStates.Running);
                var state = running > 0
                    ? KnownResourceStates.Running
                    : states.Count == names.Count && states.Values.All(s => s is not null && KnownResourceStates.TerminalStates.Contains(s))
                        ? KnownResourceStates.Finished
                        : KnownResourceStates.Starting;
                var summary = string.Create(CultureInfo.InvariantCulture, $"{state} {running}");
                if (summary == published)
                {
                    continue;
                }

                published = summary;
                await notifications.PublishUpdateAsync(cluster, snapshot => snapshot with
                {
                    State = state,
                    Properties = [new("rabbitmq.cluster.nodes.running", string.Create(CultureInfo.InvariantCulture, $"{running} of {names.Count}"))],
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
