using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Onboarding.AppHost.Infrastructure;
using RabbitMQ.Client;

namespace Aspire.Hosting;

/// <summary>Runs the machine's <c>rabbitmq-server</c> where no container runtime answers.</summary>
internal static class RabbitMQExecutableBuilderExtensions
{
    public static IResourceBuilder<RabbitMQExecutableResource> AddRabbitMQExecutable(
        this IDistributedApplicationBuilder builder,
        string name,
        InfrastructureSettings settings,
        RabbitMQClusterMembership? cluster = null)
    {
        var password = cluster?.Password
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var data = ServerDataDirectory.Create(name, settings, builder.AppHostDirectory);
        var resource = new RabbitMQExecutableResource(
            name, settings.RabbitMQServerPath, data.Path, $"{name}-{data.InstanceSuffix}@localhost", password);

        var healthCheckKey = $"{name}_check";
        var healthConnection = new CachedHealthConnection(resource);
        builder.Services.AddHealthChecks().AddRabbitMQ(_ => healthConnection.GetAsync(), name: healthCheckKey);

        var rabbit = builder.AddResource(resource)
            // No port: Aspire allocates a free one before the process starts, and the broker listens on it itself.
            .WithEndpoint(name: RabbitMQExecutableResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            // Erlang distribution defaults to the AMQP port + 20000, which may be taken or out of range.
            .WithEndpoint(name: RabbitMQExecutableResource.DistributionEndpointName, scheme: "tcp", isProxied: false)
            .WithAmqpUrlFirst(RabbitMQExecutableResource.PrimaryEndpointName, RabbitMQExecutableResource.DistributionEndpointName)
            .WithEnvironment(context =>
            {
                var variables = context.EnvironmentVariables;
                variables["HOME"] = data.Path;
                variables["RABBITMQ_NODENAME"] = resource.NodeName;
                variables["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
                variables["RABBITMQ_NODE_PORT"] = resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort);
                variables["RABBITMQ_DIST_PORT"] = resource.DistributionEndpoint.Property(EndpointProperty.TargetPort);
                variables["RABBITMQ_MNESIA_BASE"] = Path.Combine(data.Path, "mnesia");
                variables["RABBITMQ_LOG_BASE"] = Path.Combine(data.Path, "log");
                variables["RABBITMQ_CONFIG_FILE"] = Path.Combine(data.Path, "rabbitmq");
                variables["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(data.Path, "enabled_plugins");
                // Logs to stdout, so they show in the dashboard's console view.
                variables["RABBITMQ_LOGS"] = "-";
                variables["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"] = "-kernel inet_dist_use_interface {127,0,0,1}";
                // A node that has to start epmd makes it listen on loopback only.
                variables["ERL_EPMD_ADDRESS"] = "127.0.0.1";
            })
            .OnBeforeResourceStarted(async (r, evt, ct) =>
            {
                // Runs before every start, dashboard restarts included, so the files always carry the current values.
                var secret = await r.PasswordParameter.GetValueAsync(ct) ?? string.Empty;
                await WriteConfigurationAsync(r, data.Path, secret, ct);
                if (cluster is not null)
                {
                    await WriteClusterFilesAsync(r, data.Path, cluster, ct);
                }
            })
            .WithHealthCheck(healthCheckKey)
            .OnResourceReady((r, evt, _) =>
            {
                evt.Services.GetRequiredService<ResourceLoggerService>().GetLogger(r)
                    .LogInformation("RabbitMQ node {Node} is ready; data in {DataDirectory}", r.NodeName, data.Path);
                return Task.CompletedTask;
            });

        if (settings.RabbitMQManagement)
        {
            rabbit.WithHttpEndpoint(name: RabbitMQExecutableResource.ManagementEndpointName, isProxied: false)
                .WithUrlForEndpoint(RabbitMQExecutableResource.ManagementEndpointName, url => url.DisplayText = "Management UI");
        }

        return rabbit;
    }

    private static async Task WriteConfigurationAsync(
        RabbitMQExecutableResource resource, string directory, string password, CancellationToken cancellationToken)
    {
        var management = resource.ManagementEndpoint;
        var hasManagement = resource.Annotations.OfType<EndpointAnnotation>()
            .Any(e => e.Name == RabbitMQExecutableResource.ManagementEndpointName);

        var definitionsPath = Path.Combine(directory, "definitions.json");
        await SecretFile.WriteAsync(definitionsPath, RabbitMQDefinitions.Create(RabbitMQExecutableResource.UserName, password), cancellationToken);

        var config = new List<string>
        {
            $"default_user = {RabbitMQExecutableResource.UserName}",
            $"default_pass = {password}",
            "loopback_users = none",
            $"load_definitions = {definitionsPath}",
            // Debian's 3.10 still creates v1 classic queues; v2 (the default of the 4.x containers) stores a persistent
            // message with less broker CPU, and the broker's CPU per message is what bounds throughput on small machines.
            "classic_queue.default_version = 2",
        };
        if (hasManagement)
        {
            config.Add("management.tcp.ip = 127.0.0.1");
            config.Add(string.Create(CultureInfo.InvariantCulture, $"management.tcp.port = {management.TargetPort}"));
        }

        await SecretFile.WriteAsync(Path.Combine(directory, "rabbitmq.conf"), string.Join('\n', config) + "\n", cancellationToken);
        await File.WriteAllTextAsync(
            Path.Combine(directory, "enabled_plugins"),
            hasManagement ? "[rabbitmq_management].\n" : "[].\n",
            cancellationToken);
    }

    /// <summary>
    /// The shared Erlang cookie in the node's HOME (Erlang requires it private to its owner, which the secret file is),
    /// and the peer discovery settings appended to its configuration.
    /// </summary>
    private static async Task WriteClusterFilesAsync(
        RabbitMQExecutableResource resource, string directory, RabbitMQClusterMembership cluster, CancellationToken cancellationToken)
    {
        var cookie = await cluster.Cookie.GetValueAsync(cancellationToken) ?? string.Empty;
        await SecretFile.WriteAsync(Path.Combine(directory, ".erlang.cookie"), cookie, cancellationToken);
        if (cluster.SeedNodeName is null)
        {
            return;
        }

        string[] discovery =
        [
            "cluster_formation.peer_discovery_backend = classic_config",
            $"cluster_formation.classic_config.nodes.1 = {cluster.SeedNodeName}",
            $"cluster_formation.classic_config.nodes.2 = {resource.NodeName}",
            // The first node may boot after this one on a busy machine: keep asking for two minutes instead of the
            // default 5 s, after which an empty node would start a cluster of its own.
            "cluster_formation.discovery_retry_limit = 120",
            "cluster_formation.discovery_retry_interval = 1000",
        ];
        await File.AppendAllTextAsync(Path.Combine(directory, "rabbitmq.conf"), string.Join('\n', discovery) + "\n", cancellationToken);
    }

    /// <summary>
    /// One AMQP connection for the AppHost's health check, made on first use (the connection string needs the allocated
    /// port) and replaced when the broker has dropped it.
    /// </summary>
    private sealed class CachedHealthConnection(RabbitMQExecutableResource resource)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private IConnection? _connection;

        public async Task<IConnection> GetAsync()
        {
            await _gate.WaitAsync();
            try
            {
                if (_connection is { IsOpen: true })
                {
                    return _connection;
                }

                if (_connection is not null)
                {
                    await _connection.DisposeAsync();
                    _connection = null;
                }

                var connectionString = await resource.ConnectionStringExpression.GetValueAsync(CancellationToken.None);
                var factory = new ConnectionFactory { Uri = new Uri(connectionString!), AutomaticRecoveryEnabled = false };
                _connection = await factory.CreateConnectionAsync("apphost-health");
                return _connection;
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
