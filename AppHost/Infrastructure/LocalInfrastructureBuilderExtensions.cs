using Onboarding.AppHost.Infrastructure;

namespace Aspire.Hosting;

/// <summary>RabbitMQ and Redis for the whole application, as containers or as the machine's own servers.</summary>
internal static class LocalInfrastructureBuilderExtensions
{
    public const string RabbitMQResourceName = "rabbitmq";
    public const string RedisResourceName = "redis";

    public static (IResourceBuilder<IResourceWithConnectionString> RabbitMQ, IResourceBuilder<IResourceWithConnectionString> Redis)
        AddMessagingInfrastructure(this IDistributedApplicationBuilder builder, InfrastructureSettings settings, InfrastructureMode mode)
    {
        if (mode == InfrastructureMode.Containers)
        {
            // The stock integrations; the manifest for azd always describes these.
            var rabbitContainer = builder.AddRabbitMQ(RabbitMQResourceName)
                .WithDataVolume()
                .WithQueueCommands(settings.RabbitMQCtlPath);
            if (settings.RabbitMQManagement || builder.ExecutionContext.IsPublishMode)
            {
                rabbitContainer.WithManagementPlugin();
            }

            var redisContainer = builder.AddRedis(RedisResourceName)
                .WithDataVolume()
                .WithPersistence(TimeSpan.FromMinutes(1));
            return (rabbitContainer, redisContainer);
        }

        var rabbit = builder.AddRabbitMQExecutable(RabbitMQResourceName, settings)
            .WithQueueCommands(settings.RabbitMQCtlPath);
        var redis = builder.AddRedisExecutable(RedisResourceName, settings);
        return (rabbit, redis);
    }

    public static InfrastructureMode ResolveInfrastructureMode(this IDistributedApplicationBuilder builder, InfrastructureSettings settings) =>
        InfrastructureModeResolver.Resolve(
            settings.Mode,
            builder.ExecutionContext.IsPublishMode,
            () => ContainerRuntimeProbe.Answers(builder.Configuration["ASPIRE_CONTAINER_RUNTIME"] ?? "docker"),
            () => File.Exists(settings.RabbitMQServerPath) && File.Exists(settings.RedisServerPath));
}
