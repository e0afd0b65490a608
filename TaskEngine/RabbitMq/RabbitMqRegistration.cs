using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.Monitoring;
using RabbitMQ.Client;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>Registers the RabbitMQ implementations of the engine's broker seams (called by <c>AddTaskEngine</c>).</summary>
internal static class RabbitMqRegistration
{
    /// <summary>
    /// The RabbitMQ connection from <c>ConnectionStrings:&lt;connectionName&gt;</c> through the Aspire client integration,
    /// unless the host registered one itself.
    /// </summary>
    public static void AddConnection(IHostApplicationBuilder builder, string connectionName, int maxMessageBytes)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IConnection) && !d.IsKeyedService))
        {
            return;
        }

        // Several nodes (a cluster): the client integration reads one URI, so it gets the first for the credentials and
        // the connection gets every node; it connects to one that is up and recovers onto another when that one goes.
        var cluster = ParseCluster(builder.Configuration, connectionName);
        builder.AddRabbitMQClient(connectionName, configureSettings: settings =>
        {
            if (cluster is not null)
            {
                settings.ConnectionString = cluster.Uris[0];
            }
        }, configureConnectionFactory: factory =>
        {
            if (cluster is not null)
            {
                var endpoints = cluster.Endpoints;
                factory.EndpointResolverFactory = _ => new DefaultEndpointResolver(endpoints);
            }

            // A larger delivery makes the client close the connection instead of assembling the body; the worker's
            // rescue then moves it to the dead-letter queue frame by frame (UnreadableMessageRescue).
            factory.MaxInboundMessageBodySize = (uint)maxMessageBytes;
            factory.AutomaticRecoveryEnabled = true;
            factory.TopologyRecoveryEnabled = true;
            factory.NetworkRecoveryInterval = TimeSpan.FromSeconds(2);
            factory.ClientProvidedName = "onboarding-taskengine";
        });

        // A host started before its broker waits for it instead of failing to start.
        BrokerStartGate.Register(builder.Services);
    }

    private static BrokerAddresses? ParseCluster(IConfiguration configuration, string connectionName)
    {
        try
        {
            return BrokerAddresses.ParseCluster(configuration.GetConnectionString(connectionName));
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"ConnectionStrings:{connectionName}: {ex.Message}", ex);
        }
    }

    /// <summary>Publishing, dead letters, queue status, the event stream and remote control's mailbox.</summary>
    public static void AddTransport(IServiceCollection services)
    {
        services.TryAddSingleton<RabbitMqBroker>();
        services.TryAddSingleton<ITaskBroker>(sp => sp.GetRequiredService<RabbitMqBroker>());
        services.TryAddSingleton<IDeadLetterQueue, RabbitMqDeadLetterQueue>();
        services.TryAddSingleton<IBrokerQueues, RabbitMqBrokerQueues>();
        services.TryAddSingleton<RabbitMqMailbox>();
        services.TryAddSingleton<IMailbox>(sp => sp.GetRequiredService<RabbitMqMailbox>());
        services.TryAddSingleton<RabbitMqEventTransport>();
        services.TryAddSingleton<ICeleryEventTransport>(sp => sp.GetRequiredService<RabbitMqEventTransport>());
        services.TryAddSingleton<UnreadableMessageRescue>();
    }

    /// <summary>Declares the topology at start (registered after the engine's other hosted services, so it starts after them).</summary>
    public static void AddTopology(IServiceCollection services)
    {
        if (!services.Any(d => d.ImplementationType == typeof(TopologyService)))
        {
            services.AddHostedService<TopologyService>();
        }
    }

    /// <summary>The worker's consuming side.</summary>
    public static void AddConsumer(IServiceCollection services) =>
        services.TryAddSingleton<ITaskConsumer, RabbitMqTaskConsumer>();
}
