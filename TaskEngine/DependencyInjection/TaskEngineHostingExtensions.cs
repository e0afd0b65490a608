using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Publishing;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Routing;
using Onboarding.TaskEngine.Redis;
using Onboarding.TaskEngine.Retry;
using Onboarding.TaskEngine.Workflows;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the task engine on a host.</summary>
public static class TaskEngineHostingExtensions
{
    /// <summary>
    /// Adds the task engine: <see cref="ITaskClient"/>, the Redis result backend, RabbitMQ publishing and topology,
    /// telemetry. Settings are read in this order: the <c>TaskEngine</c> section, then <paramref name="configure"/>;
    /// connections come from <c>ConnectionStrings:&lt;rabbitMqConnectionName&gt;</c> and
    /// <c>ConnectionStrings:&lt;redisConnectionName&gt;</c> through the Aspire client integrations (unless the host
    /// registered those clients itself). Options are validated on start.
    /// </summary>
    public static ITaskEngineBuilder AddTaskEngine(
        this IHostApplicationBuilder builder,
        string rabbitMqConnectionName = "rabbitmq",
        string redisConnectionName = "redis",
        Action<TaskEngineOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // The connection factory is configured before options exist: read the one setting it needs the same way.
        RabbitMqRegistration.AddConnection(builder, rabbitMqConnectionName, MaxMessageBytes(builder.Configuration, configure));
        RedisRegistration.AddConnection(builder, redisConnectionName);

        var optionsBuilder = services.AddOptions<TaskEngineOptions>().BindConfiguration(TaskEngineOptions.SectionName);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        var rabbitMqConnectionString = builder.Configuration.GetConnectionString(rabbitMqConnectionName);
        optionsBuilder.PostConfigure(o =>
        {
            o.RabbitMqConnectionString ??= rabbitMqConnectionString;
        });
        optionsBuilder.ValidateDataAnnotations().ValidateOnStart();

        var registry = GetOrAddRegistry(services);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(registry);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TaskEngineOptions>>().Value;
            return new TaskRouter(options.Routes, options.DefaultQueue);
        });
        RabbitMqRegistration.AddTransport(services);
        RedisRegistration.AddBackend(services);
        services.TryAddSingleton<ResultStoreRetry>();
        services.TryAddSingleton<TaskMessageFactory>();
        services.TryAddSingleton<ITaskClient, TaskClient>();
        services.TryAddSingleton<RunningTasks>();
        services.TryAddSingleton<RevocationCache>();
        services.TryAddSingleton<TaskExecutor>();
        services.TryAddSingleton<WorkerState>();
        services.TryAddSingleton<TaskEvents>();
        if (!services.Any(d => d.ServiceType == typeof(EventDispatcher)))
        {
            // Registered before any worker service: hosted services stop in reverse order, so it stops last and sends
            // what the others sent while stopping (a worker's last task events and its worker-offline).
            services.AddSingleton<EventDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
        }
        services.AddWorkflows();
        services.AddTaskEngineEvents();
        RabbitMqRegistration.AddTopology(services);
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddSource(TaskEngineDiagnostics.Name));
        services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddMeter(TaskEngineDiagnostics.Name));

        return new TaskEngineBuilder(services, registry);
    }

    /// <summary>
    /// Adds the worker: consumes <c>Worker:Queues</c> with <c>Worker:Concurrency</c> (then <paramref name="configure"/>),
    /// registers the diagnostics tasks every worker runs, and the periodic task scheduler that runs when <c>Worker:Beat</c> is set.
    /// </summary>
    public static ITaskEngineBuilder AddTaskWorker(this ITaskEngineBuilder builder, Action<TaskWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var optionsBuilder = builder.Services.AddOptions<TaskWorkerOptions>().BindConfiguration(TaskWorkerOptions.SectionName);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder.ValidateDataAnnotations().ValidateOnStart();
        // The node starts before the worker loop (events carry its name from the first task on) and stops after it
        // (worker-offline follows the drain); the mailbox listens once the worker consumes.
        builder.Services.TryAddSingleton<WorkerNode>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WorkerNode>());
        RabbitMqRegistration.AddConsumer(builder.Services);
        builder.Services.TryAddSingleton<TaskWorkerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TaskWorkerService>());
        builder.Services.TryAddSingleton<ControlCommands>();
        builder.Services.AddHostedService<PidboxService>();
        builder.Services.AddPeriodicTaskScheduler();
        return builder.AddDiagnosticTasks().AddWorkflowTasks();
    }


    private static int MaxMessageBytes(IConfiguration configuration, Action<TaskEngineOptions>? configure)
    {
        var options = new TaskEngineOptions();
        if (configuration.GetSection(TaskEngineOptions.SectionName).GetValue<int?>(nameof(TaskEngineOptions.MaxMessageBytes)) is { } configured)
        {
            options.MaxMessageBytes = configured;
        }

        configure?.Invoke(options);
        return options.MaxMessageBytes;
    }

    private static TaskRegistry GetOrAddRegistry(IServiceCollection services) =>
        services.FirstOrDefault(d => d.ServiceType == typeof(TaskRegistry))?.ImplementationInstance as TaskRegistry ?? new TaskRegistry();

    private sealed class TaskEngineBuilder(IServiceCollection services, TaskRegistry registry) : ITaskEngineBuilder
    {
        public IServiceCollection Services { get; } = services;

        public ITaskEngineBuilder AddTask<TArgs, THandler>(string name, Action<TaskOptions>? configure = null)
            where THandler : class, ITaskHandler<TArgs>
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
            var options = new TaskOptions();
            configure?.Invoke(options);
            if (options.RateLimit is not null)
            {
                _ = Onboarding.TaskEngine.RateLimits.RateLimit.Parse(options.RateLimit);
            }

            registry.Add(TaskRegistration.Create<TArgs, THandler>(name, options));
            Services.TryAddScoped<THandler>();
            return this;
        }
    }
}
