using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.DependencyInjection;

/// <summary>Returned by <c>AddTaskEngine</c>: registers tasks fluently.</summary>
public interface ITaskEngineBuilder
{
    IServiceCollection Services { get; }

    /// <summary>
    /// Registers a task under its wire name. <typeparamref name="TArgs"/> is bound from Celery's positional args
    /// (constructor order) and kwargs (exact or snake_case names); the handler is resolved per execution from a
    /// DI scope.
    /// </summary>
    ITaskEngineBuilder AddTask<TArgs, THandler>(string name, Action<TaskOptions>? configure = null)
        where THandler : class, ITaskHandler<TArgs>;
}
