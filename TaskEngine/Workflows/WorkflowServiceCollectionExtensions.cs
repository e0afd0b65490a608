using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Onboarding.TaskEngine.Redis;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>Registers the workflow services (called by <c>AddTaskEngine</c>).</summary>
internal static class WorkflowServiceCollectionExtensions
{
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkflowStore>();
        services.TryAddSingleton<WorkflowPublisher>();
        services.TryAddSingleton(sp => new WorkflowResultServices(
            sp.GetRequiredService<RedisResultBackend>(), sp.GetRequiredService<WorkflowStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ChordCounter>();
        services.TryAddSingleton<IWorkflowCoordinator, WorkflowCoordinator>();
        services.TryAddSingleton<IWorkflowClient, WorkflowClient>();
        services.TryAddSingleton<IWorkflowStatusReader, WorkflowStatusReader>();
        return services;
    }
}
