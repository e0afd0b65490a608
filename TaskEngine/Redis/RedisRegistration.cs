using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Workflows;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>Registers the Redis implementations of the engine's result-backend seams (called by <c>AddTaskEngine</c>).</summary>
internal static class RedisRegistration
{
    /// <summary>
    /// The Redis multiplexer from <c>ConnectionStrings:&lt;connectionName&gt;</c> through the Aspire client integration,
    /// unless the host registered one itself.
    /// </summary>
    public static void AddConnection(IHostApplicationBuilder builder, string connectionName)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer) && !d.IsKeyedService))
        {
            return;
        }

        // The .NET thread pool instead of StackExchange.Redis's own spinning socket threads: on small machines those
        // compete with the broker for the cores (W4 tails ~20-40% lower here).
        builder.AddRedisClient(connectionName, configureOptions: static options => options.SocketManager = SocketManager.ThreadPool);
    }

    /// <summary>Task results and revocations, and the workflow store (chord counters, saved groups, the workflow index).</summary>
    public static void AddBackend(IServiceCollection services)
    {
        services.TryAddSingleton<RedisResultBackend>();
        services.TryAddSingleton<IResultBackend>(sp => sp.GetRequiredService<RedisResultBackend>());
        services.TryAddSingleton<IWorkflowStore, RedisWorkflowStore>();
    }
}
