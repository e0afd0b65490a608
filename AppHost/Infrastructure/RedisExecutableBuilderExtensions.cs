using Microsoft.Extensions.DependencyInjection;
using Onboarding.AppHost.Infrastructure;

namespace Aspire.Hosting;

/// <summary>Runs the machine's <c>redis-server</c> where no container runtime answers.</summary>
internal static class RedisExecutableBuilderExtensions
{
    public static IResourceBuilder<RedisExecutableResource> AddRedisExecutable(
        this IDistributedApplicationBuilder builder,
        string name,
        InfrastructureSettings settings)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var data = ServerDataDirectory.Create(name, settings, builder.AppHostDirectory);
        var configPath = Path.Combine(data.Path, "redis.conf");
        var resource = new RedisExecutableResource(name, settings.RedisServerPath, data.Path, password);

        string? connectionString = null;
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException($"The connection string of '{name}' is not known yet."),
            name: healthCheckKey);

        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(resource, async (_, ct) =>
            connectionString = await resource.ConnectionStringExpression.GetValueAsync(ct));

        return builder.AddResource(resource)
            .WithEndpoint(name: RedisExecutableResource.PrimaryEndpointName, scheme: "tcp", isProxied: false)
            // The password stays in the 0600 config file; argv is visible to ps and to the dashboard.
            .WithArgs(context =>
            {
                context.Args.Add(configPath);
                context.Args.Add("--port");
                context.Args.Add(resource.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
            })
            .OnBeforeResourceStarted(async (r, _, ct) =>
            {
                var secret = await r.PasswordParameter.GetValueAsync(ct) ?? string.Empty;
                await SecretFile.WriteAsync(configPath, CreateConfiguration(data.Path, secret, settings.PersistentData, settings.RedisAppendOnly ?? settings.PersistentData), ct);
            })
            .WithHealthCheck(healthCheckKey);
    }

    private static string CreateConfiguration(string directory, string password, bool persistent, bool appendOnly)
    {
        string[] lines =
        [
            "bind 127.0.0.1 -::1",
            "protected-mode yes",
            "daemonize no",
            // Empty logfile: log to stdout, which the dashboard shows.
            "logfile \"\"",
            $"dir \"{directory}\"",
            $"requirepass \"{password}\"",
            .. persistent ? [] : (string[])["save \"\""],
            .. appendOnly ? (string[])["appendonly yes", "appendfsync everysec"] : ["appendonly no"],
        ];
        return string.Join('\n', lines) + "\n";
    }
}
