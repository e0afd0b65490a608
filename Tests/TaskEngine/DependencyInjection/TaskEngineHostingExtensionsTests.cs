using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Onboarding.Contracts;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Routing;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.DependencyInjection;

public sealed class TaskEngineHostingExtensionsTests
{
    private static HostApplicationBuilder CreateBuilder(Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = "amqp://guest:guest@localhost:1",
            ["ConnectionStrings:redis"] = "localhost:1,abortConnect=false",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        return builder;
    }

    [Fact]
    public void AddTaskEngine_GivesTheConnectionEveryNode_WhenTheConnectionStringListsACluster()
    {
        var builder = CreateBuilder(new()
        {
            ["ConnectionStrings:rabbitmq"] = "amqp://guest:secret@localhost:10001;amqp://guest:secret@localhost:10002;amqp://guest:secret@localhost:10003",
        });
        builder.AddTaskEngine();
        using var provider = builder.Services.BuildServiceProvider();

        var factory = Assert.IsType<RabbitMQ.Client.ConnectionFactory>(provider.GetRequiredService<RabbitMQ.Client.IConnectionFactory>());

        // The endpoints the client tries, in its own random order, when it connects and when it recovers.
        var endpoints = factory.EndpointResolverFactory([]).All().Select(e => e.Port).Order();
        Assert.Equal([10001, 10002, 10003], endpoints);
        Assert.Equal("secret", factory.Password);
    }

    [Fact]
    public void AddTaskEngine_NamesTheConnectionString_WhenClusterNodesDifferInCredentials()
    {
        var builder = CreateBuilder(new()
        {
            ["ConnectionStrings:rabbitmq"] = "amqp://guest:one@localhost:10001;amqp://guest:two@localhost:10002",
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddTaskEngine());

        Assert.StartsWith("ConnectionStrings:rabbitmq:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithDefaultRoutes_RoutesSeedTasksToTheirQueues_WhenNoneConfigured()
    {
        var builder = CreateBuilder();
        builder.AddTaskEngine().WithDefaultRoutes(TaskRoutes.Seed);
        using var provider = builder.Services.BuildServiceProvider();

        var router = provider.GetRequiredService<TaskRouter>();

        Assert.Equal("user_queue", router.Route("user_service.tasks.send_welcome_email"));
        Assert.Equal("order_queue", router.Route("order_service.tasks.validate_inventory"));
        Assert.Equal("notification_queue", router.Route("notification_service.tasks.send_order_email"));
        Assert.Equal("default", router.Route("diagnostics.ping"));
    }

    [Fact]
    public void AddTaskEngine_ReadsTaskEngineSection_WhenConfigured()
    {
        var builder = CreateBuilder(new Dictionary<string, string?>
        {
            ["TaskEngine:DefaultQueue"] = "celery",
            ["TaskEngine:Routes:0:Pattern"] = "tasks.*",
            ["TaskEngine:Routes:0:Queue"] = "math",
            ["TaskEngine:ResultExpires"] = "01:00:00",
        });
        builder.AddTaskEngine().WithDefaultRoutes(TaskRoutes.Seed);
        using var provider = builder.Services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<TaskEngineOptions>>().Value;
        var router = provider.GetRequiredService<TaskRouter>();

        Assert.Equal(TimeSpan.FromHours(1), options.ResultExpires);
        Assert.Equal("math", router.Route("tasks.add"));
        Assert.Equal("celery", router.Route("user_service.tasks.x"));
    }

    [Fact]
    public void AddTaskEngine_RoutesToDefaultQueue_WhenApplicationDeclaresNoRoutes()
    {
        var builder = CreateBuilder();
        builder.AddTaskEngine();
        using var provider = builder.Services.BuildServiceProvider();

        var router = provider.GetRequiredService<TaskRouter>();

        Assert.Equal("default", router.Route("user_service.tasks.send_welcome_email"));
        Assert.Equal("order_queue", router.Route("order_service.tasks.validate_inventory", taskQueue: "order_queue"));
    }

    [Fact]
    public void WithDefaultRoutes_Throws_WhenRouteHasNoQueue() =>
        Assert.Throws<ArgumentException>(() => CreateBuilder().AddTaskEngine().WithDefaultRoutes([("tasks.*", " ")]));

    [Fact]
    public void AddTaskEngine_FailsValidation_WhenDefaultQueueIsEmpty()
    {
        var builder = CreateBuilder(new Dictionary<string, string?> { ["TaskEngine:DefaultQueue"] = "" });
        builder.AddTaskEngine();
        using var provider = builder.Services.BuildServiceProvider();

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TaskEngineOptions>>().Value);
    }

    [Fact]
    public void AddTask_Throws_WhenRateLimitIsInvalid() =>
        Assert.Throws<FormatException>(() =>
            CreateBuilder().AddTaskEngine().AddTask<WelcomeArgs, SendWelcomeEmailHandler>("t", o => o.RateLimit = "fast"));

    [Fact]
    public void AddTask_Throws_WhenNameIsRegisteredTwice()
    {
        var engine = CreateBuilder().AddTaskEngine().AddTask<WelcomeArgs, SendWelcomeEmailHandler>("t");

        Assert.Throws<InvalidOperationException>(() => engine.AddTask<WelcomeArgs, SendWelcomeEmailHandler>("t"));
    }

    [Fact]
    public void AddTaskWorker_RegistersDiagnosticsAndScopedHandlers_WhenCalled()
    {
        var builder = CreateBuilder();
        builder.AddTaskEngine().AddTask<WelcomeArgs, SendWelcomeEmailHandler>("user_service.tasks.send_welcome_email").AddTaskWorker();

        Assert.Contains(builder.Services, d => d.ServiceType == typeof(SendWelcomeEmailHandler) && d.Lifetime == ServiceLifetime.Scoped);
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(ITaskClient));
        Assert.Contains(builder.Services, d => d.ServiceType == typeof(IHostedService));
    }
}
