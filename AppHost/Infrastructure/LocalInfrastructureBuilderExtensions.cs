using Onboarding.AppHost.Infrastructure;

namespace Aspire.Hosting;

/// <summary>RabbitMQ and Redis for the whole application, as containers or as the machine's own servers.</summary>
internal static class LocalInfrastructureBuilderExtensions
{
    public const string RabbitMQResourceName = "rabbitmq";
    public const string RedisResourceName = "redis";

    // The stock RabbitMQ resource's AMQP endpoint (its constant is internal to the integration).
    private const string StockRabbitMQAmqpEndpoint = "tcp";

    public static (IResourceBuilder<IResourceWithConnectionString> RabbitMQ, IResourceBuilder<IResourceWithConnectionString> Redis)
        AddMessagingInfrastructure(this IDistributedApplicationBuilder builder, InfrastructureSettings settings, InfrastructureMode mode)
    {
        if (settings.RabbitMQNodes > 1)
        {
            var cluster = builder.AddRabbitMQCluster(RabbitMQResourceName, settings.RabbitMQNodes, settings, mode)
                .WithQueueCommands(settings.RabbitMQCtlPath);
            return (cluster, mode == InfrastructureMode.Containers ? builder.AddRedisContainer() : builder.AddRedisExecutable(RedisResourceName, settings));
        }

        if (mode == InfrastructureMode.Containers)
        {
            // The stock integrations; the manifest for azd always describes these.
            var rabbitContainer = builder.AddRabbitMQ(RabbitMQResourceName)
                .WithDataVolume()
                .WithAmqpUrlFirst(StockRabbitMQAmqpEndpoint)
                .WithQueueCommands(settings.RabbitMQCtlPath);
            if (settings.RabbitMQManagement || builder.ExecutionContext.IsPublishMode)
            {
                // The plugin first (it refuses tags it does not know), then the tested line's management image.
                rabbitContainer.WithManagementPlugin().WithImageTag(ServerImageTags.RabbitMQWithManagement);
            }
            else
            {
                rabbitContainer.WithImageTag(ServerImageTags.RabbitMQ);
            }

            return (rabbitContainer, builder.AddRedisContainer());
        }

        var rabbit = builder.AddRabbitMQExecutable(RabbitMQResourceName, settings)
            .WithQueueCommands(settings.RabbitMQCtlPath);
        var redis = builder.AddRedisExecutable(RedisResourceName, settings);
        return (rabbit, redis);
    }

    private static IResourceBuilder<RedisResource> AddRedisContainer(this IDistributedApplicationBuilder builder) =>
        builder.AddRedis(RedisResourceName)
            .WithImageTag(ServerImageTags.Redis)
            .WithDataVolume()
            .WithPersistence(TimeSpan.FromMinutes(1));

    public static InfrastructureMode ResolveInfrastructureMode(this IDistributedApplicationBuilder builder, InfrastructureSettings settings) =>
        InfrastructureModeResolver.Resolve(
            settings.Mode,
            builder.ExecutionContext.IsPublishMode,
            () => ContainerRuntimeProbe.Answers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker"),
            () => File.Exists(settings.RabbitMQServerPath) && File.Exists(settings.RedisServerPath));
}
