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
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Redis;
using Onboarding.TaskEngine.Workflows;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using RabbitMQ.Client;
using StackExchange.Redis;

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

        if (!services.Any(d => d.ServiceType == typeof(IConnection) && !d.IsKeyedService))
        {
            // The connection factory is configured before options exist: read the one setting it needs the same way.
            var maxMessageBytes = MaxMessageBytes(builder.Configuration, configure);
            // Several nodes (a cluster): the client integration reads one URI, so it gets the first for the credentials and
            // the connection gets every node; it connects to one that is up and recovers onto another when that one goes.
            var cluster = ParseCluster(builder.Configuration, rabbitMqConnectionName);
            builder.AddRabbitMQClient(rabbitMqConnectionName, configureSettings: settings =>
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
            BrokerStartGate.Register(services);
        }

        if (!services.Any(d => d.ServiceType == typeof(IConnectionMultiplexer) && !d.IsKeyedService))
        {
            // The .NET thread pool instead of StackExchange.Redis's own spinning socket threads: on small machines those
            // compete with the broker for the cores (W4 tails ~20-40% lower here).
            builder.AddRedisClient(redisConnectionName, configureOptions: static options => options.SocketManager = SocketManager.ThreadPool);
        }

        var optionsBuilder = services.AddOptions<TaskEngineOptions>().BindConfiguration(TaskEngineOptions.SectionName);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        var rabbitMqConnectionString = builder.Configuration.GetConnectionString(rabbitMqConnectionName);
        optionsBuilder.PostConfigure(o =>
        {
            o.RabbitMqConnectionString ??= rabbitMqConnectionString;
            if (o.Routes.Count == 0)
            {
                o.Routes.AddRange(
                [
                    new() { Pattern = "user_service.tasks.*", Queue = "user_queue" },
                    new() { Pattern = "order_service.tasks.*", Queue = "order_queue" },
                    new() { Pattern = "notification_service.tasks.*", Queue = "notification_queue" },
                ]);
            }
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
        services.TryAddSingleton<RabbitMqBroker>();
        services.TryAddSingleton<RedisResultBackend>();
        services.TryAddSingleton<ResultStoreRetry>();
        services.TryAddSingleton<ITaskClient, TaskClient>();
        services.TryAddSingleton<IDeadLetterQueue, RabbitMqDeadLetterQueue>();
        services.TryAddSingleton<IBrokerQueues, RabbitMqBrokerQueues>();
        services.TryAddSingleton<RunningTasks>();
        services.TryAddSingleton<RevocationCache>();
        services.TryAddSingleton<TaskExecutor>();
        services.TryAddSingleton<WorkerState>();
        services.TryAddSingleton<RabbitMqMailbox>();
        services.TryAddSingleton<RabbitMqEventTransport>();
        services.TryAddSingleton<TaskEvents>();
        if (!services.Any(d => d.ServiceType == typeof(EventDispatcher)))
        {
            // Registered before any worker service: hosted services stop in reverse order, so it stops last and sends
            // what the others sent while stopping (a worker's last task events and its worker-offline).
            services.AddSingleton<EventDispatcher>();
            services.AddHostedService(sp => sp.GetRequiredService<EventDispatcher>());
        }
        services.AddWorkflows();
        services.TryAddSingleton<UnreadableMessageRescue>();
        services.AddTaskEngineEvents();
        if (!services.Any(d => d.ImplementationType == typeof(TopologyService)))
        {
            services.AddHostedService<TopologyService>();
        }

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
        builder.Services.TryAddSingleton<TaskWorkerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TaskWorkerService>());
        builder.Services.TryAddSingleton<ControlCommands>();
        builder.Services.AddHostedService<PidboxService>();
        builder.Services.AddPeriodicTaskScheduler();
        return builder.AddDiagnosticTasks().AddWorkflowTasks();
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
                _ = Onboarding.TaskEngine.Retry.RateLimit.Parse(options.RateLimit);
            }

            registry.Add(TaskRegistration.Create<TArgs, THandler>(name, options));
            Services.TryAddScoped<THandler>();
            return this;
        }
    }
}
