using System.Globalization;
using Microsoft.Extensions.Configuration;
using Onboarding.AppHost.Infrastructure;
using Onboarding.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

InfrastructureSettings settings;
InfrastructureMode mode;
try
{
    settings = InfrastructureSettings.From(builder.Configuration);
    mode = builder.ResolveInfrastructureMode(settings);
}
catch (InfrastructureUnavailableException ex)
{
    Console.Error.WriteLine(ex.Message);
    Environment.ExitCode = 1;
    return;
}

var (rabbitmq, redis) = builder.AddMessagingInfrastructure(settings, mode);
if (builder.ExecutionContext.IsRunMode && ConnectionStateFile.PathFor(settings) is { } stateFile)
{
    ConnectionStateFile.WriteWhenReady(builder, rabbitmq, redis, stateFile);
}

if (!settings.Only)
{
    // Every service and worker waits for both: the engine declares its topology and reads results at start.
    var userService = builder.AddProject<Projects.UserService>("userservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithHttpHealthCheck("/health");

    // OrderService asks UserService whether an order's user exists (http://userservice over service discovery). It
    // does not wait for it: while UserService is down, orders are accepted unverified and checked by their first task.
    var orderService = builder.AddProject<Projects.OrderService>("orderservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithReference(userService)
        .WithHttpHealthCheck("/health");

    var notificationService = builder.AddProject<Projects.NotificationService>("notificationservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithHttpHealthCheck("/health");

    // The operations console reads the fleet's events and remote control; services and workers send task-sent
    // events (Celery's task_send_sent_event) so it knows each task's queue and when it was sent.
    builder.AddOperationsConsole(rabbitmq, redis);
    foreach (var service in new[] { userService, orderService, notificationService })
    {
        service.WithEnvironment("TaskEngine__SendSentEvents", "true");
    }

    // One worker resource per queue set, like the seed's `celery worker -Q ...` containers. Tasks call the services'
    // APIs, hence the references for service discovery; they do not wait for them, because a task that runs early is
    // retried by the resilience handler.
    (string Name, string[] Queues)[] workerSets =
    [
        ("user-worker", [QueueNames.Users]),
        ("order-worker", [QueueNames.Orders]),
        ("notification-worker", [QueueNames.Notifications, QueueNames.Default]),
    ];
    // Schedule overrides given to the AppHost (TaskEngine:Schedules:<name>:...) reach every worker.
    var scheduleOverrides = builder.Configuration.GetSection("TaskEngine:Schedules").AsEnumerable()
        .Where(entry => entry.Value is not null)
        .ToList();
    foreach (var (name, queues) in workerSets)
    {
        // No launch profile: three instances of one project cannot share its fixed port. Every worker runs the
        // periodic task scheduler (--beat): a Redis lease makes one replica fire each tick, so any number may.
        var worker = builder.AddProject<Projects.Workers>(name, launchProfileName: null)
            .WithHttpEndpoint()
            .WithArgs("--queues", string.Join(',', queues), "--beat")
            .WithReference(rabbitmq).WaitFor(rabbitmq)
            .WithReference(redis).WaitFor(redis)
            .WithReference(userService)
            .WithReference(orderService)
            .WithReference(notificationService)
            .WithHttpHealthCheck("/health")
            // Framework code (ReadyToRun) is promoted to tier 1 after a 100 ms pause in JIT activity, which a busy
            // worker rarely has; without the pause the hot path is fully optimized within its first seconds.
            .WithEnvironment("DOTNET_TC_CallCountingDelayMs", "0")
            // A Celery node name of its own (remote control addresses nodes by name): <resource>@<host>.
            .WithEnvironment("Worker__Hostname", name + "@%h")
            // Task events (Celery's -E) for the operations console.
            .WithEnvironment("Worker__Events", "true")
            .WithEnvironment("TaskEngine__SendSentEvents", "true")
            .WithEnvironment(context =>
            {
                // DCP stops a run with SIGTERM and SIGKILLs 6 s later: within 4 s running tasks finish or are requeued
                // by the worker itself, instead of being killed mid-run (acks-late loses nothing either way, but a
                // killed task runs again from the start). A deployment keeps the 20 s default (Container Apps waits 30 s).
                if (context.ExecutionContext.IsRunMode)
                {
                    context.EnvironmentVariables["Worker__ShutdownGracePeriod"] = "00:00:04";
                }
            });
        foreach (var (key, value) in scheduleOverrides)
        {
            worker.WithEnvironment(key.Replace(":", "__", StringComparison.Ordinal), value);
        }
    }
}

// A cluster is there to survive a node's loss, which only replicated (quorum) queues do: a classic queue lives on one
// node. Every project declares the queues, and a queue's type is part of its declaration, so all get the same type
// (TaskEngine:QueueType given to the AppHost wins, e.g. classic while Celery 5.2 workers share the queues).
var queueType = builder.Configuration["TaskEngine:QueueType"] ?? (settings.RabbitMQNodes > 1 ? "quorum" : null);
if (queueType is not null)
{
    foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
    {
        builder.CreateResourceBuilder(project).WithEnvironment("TaskEngine__QueueType", queueType);
    }
}

// In a local run every project stops itself as soon as this AppHost ends (Ctrl+C): the orchestrator's SIGTERM goes
// to the `dotnet run` that started the project, which does not pass it on (ServiceDefaults' OrchestratorLifetime).
foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
{
    builder.CreateResourceBuilder(project).WithEnvironment(context =>
    {
        if (context.ExecutionContext.IsRunMode)
        {
            context.EnvironmentVariables["ONBOARDING_APPHOST_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        }
    });
}

builder.Build().Run();
