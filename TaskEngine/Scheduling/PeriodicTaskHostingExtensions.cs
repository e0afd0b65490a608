using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Redis;
using Onboarding.TaskEngine.Scheduling;

namespace Microsoft.Extensions.Hosting;

/// <summary>Periodic tasks (celery beat) on the task engine.</summary>
public static class PeriodicTaskHostingExtensions
{
    /// <summary>
    /// Adds a periodic task sent on <paramref name="schedule"/> with positional <paramref name="args"/> (serialized
    /// as JSON). Entries also come from configuration, <c>TaskEngine:Schedules:&lt;name&gt;:{Task,Cron|Interval,Args,Queue}</c>.
    /// They are sent by the scheduler of workers that run with <c>Worker:Beat=true</c> (<c>--beat</c>).
    /// </summary>
    public static ITaskEngineBuilder AddPeriodicTask(
        this ITaskEngineBuilder builder, string name, string taskName, Schedule schedule, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return builder.AddPeriodicTask(new PeriodicTaskDefinition
        {
            Name = name,
            TaskName = taskName,
            Schedule = schedule,
            Args = args.Select(arg => JsonSerializer.SerializeToElement(arg)).ToList(),
        });
    }

    /// <summary>Adds a periodic task with every option (kwargs, queue, expiry).</summary>
    public static ITaskEngineBuilder AddPeriodicTask(this ITaskEngineBuilder builder, PeriodicTaskDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrWhiteSpace(definition.Name);
        ArgumentException.ThrowIfNullOrWhiteSpace(definition.TaskName);
        ArgumentNullException.ThrowIfNull(definition.Schedule);
        builder.Services.AddPeriodicTaskScheduler().Add(definition);
        return builder;
    }

    /// <summary>
    /// Registers the hosted <c>PeriodicTaskScheduler</c> (idempotent; called by <c>AddTaskWorker</c>). It runs only
    /// when <c>Worker:Beat</c> is true.
    /// </summary>
    internal static PeriodicTaskRegistry AddPeriodicTaskScheduler(this IServiceCollection services)
    {
        if (services.FirstOrDefault(d => d.ServiceType == typeof(PeriodicTaskRegistry))?.ImplementationInstance is PeriodicTaskRegistry registry)
        {
            return registry;
        }

        registry = new PeriodicTaskRegistry();
        services.AddSingleton(registry);
        services.AddOptions<TaskWorkerOptions>();
        services.TryAddSingleton<ISchedulerStore, RedisSchedulerStore>();
        services.AddPeriodicTaskBoard();
        services.TryAddSingleton<PeriodicTaskScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<PeriodicTaskScheduler>());
        return registry;
    }

    /// <summary>
    /// Lets a process that runs no scheduler (an operations console) read the periodic tasks the workers' schedulers
    /// record in Redis: <see cref="IPeriodicTaskBoard"/>. The key prefix is <c>TaskEngine:Beat:KeyPrefix</c>, as theirs.
    /// </summary>
    public static ITaskEngineBuilder AddPeriodicTaskBoard(this ITaskEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPeriodicTaskBoard();
        return builder;
    }

    private static void AddPeriodicTaskBoard(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(RedisPeriodicTaskBoard)))
        {
            return;
        }

        services.AddOptions<PeriodicTaskSchedulerOptions>().BindConfiguration(TaskEngineOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        // Its Redis connection comes from the container: the board lives with the other Redis code.
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<RedisPeriodicTaskBoard>(
            sp, sp.GetRequiredService<IOptions<PeriodicTaskSchedulerOptions>>().Value.Beat));
        services.AddSingleton<IPeriodicTaskBoard>(sp => sp.GetRequiredService<RedisPeriodicTaskBoard>());
        services.AddSingleton<IPeriodicTaskRecorder>(sp => sp.GetRequiredService<RedisPeriodicTaskBoard>());
    }
}
