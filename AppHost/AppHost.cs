using Onboarding.AppHost.Infrastructure;
using Onboarding.Contracts;

var builder = DistributedApplication.CreateBuilder(args);

var settings = InfrastructureSettings.From(builder.Configuration);
InfrastructureMode mode;
try
{
    mode = builder.ResolveInfrastructureMode(settings);
}
catch (InfrastructureUnavailableException ex)
{
    Console.Error.WriteLine(ex.Message);
    Environment.ExitCode = 1;
    return;
}

var (rabbitmq, redis) = builder.AddMessagingInfrastructure(settings, mode);

if (!settings.Only)
{
    // Every service and worker waits for both: the engine declares its topology and reads results at start.
    var userService = builder.AddProject<Projects.UserService>("userservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithHttpHealthCheck("/health");

    var orderService = builder.AddProject<Projects.OrderService>("orderservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithHttpHealthCheck("/health");

    var notificationService = builder.AddProject<Projects.NotificationService>("notificationservice")
        .WithReference(rabbitmq).WaitFor(rabbitmq)
        .WithReference(redis).WaitFor(redis)
        .WithHttpHealthCheck("/health");

    // One worker resource per queue set, like the seed's `celery worker -Q ...` containers. Tasks call the services'
    // APIs, hence the references for service discovery; they do not wait for them, because a task that runs early is
    // retried by the resilience handler.
    (string Name, string[] Queues)[] workerSets =
    [
        ("user-worker", [QueueNames.Users]),
        ("order-worker", [QueueNames.Orders]),
        ("notification-worker", [QueueNames.Notifications, QueueNames.Default]),
    ];
    foreach (var (name, queues) in workerSets)
    {
        // No launch profile: three instances of one project cannot share its fixed port.
        builder.AddProject<Projects.Workers>(name, launchProfileName: null)
            .WithHttpEndpoint()
            .WithArgs("--queues", string.Join(',', queues))
            .WithReference(rabbitmq).WaitFor(rabbitmq)
            .WithReference(redis).WaitFor(redis)
            .WithReference(userService)
            .WithReference(orderService)
            .WithReference(notificationService)
            .WithHttpHealthCheck("/health");
    }
}

builder.Build().Run();
