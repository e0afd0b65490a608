using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Execution;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>Registers the workflow services (called by <c>AddTaskEngine</c>).</summary>
internal static class WorkflowServiceCollectionExtensions
{
    public static IServiceCollection AddWorkflows(this IServiceCollection services)
    {
        services.TryAddSingleton<WorkflowPublisher>();
        services.TryAddSingleton(sp => new WorkflowResultServices(
            sp.GetRequiredService<IResultBackend>(), sp.GetRequiredService<IWorkflowStore>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ChordCounter>();
        services.TryAddSingleton<IWorkflowCoordinator, WorkflowCoordinator>();
        services.TryAddSingleton<IWorkflowClient, WorkflowClient>();
        services.TryAddSingleton<IWorkflowStatusReader, WorkflowStatusReader>();
        return services;
    }
}
