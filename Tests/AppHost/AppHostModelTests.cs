using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The AppHost's model, built without starting anything.</summary>
public sealed class AppHostModelTests
{
    [Fact]
    public async Task Build_DeclaresEveryResource_WithTheNamesTheServicesUse()
    {
        var builder = await CreateBuilderAsync("executables");

        var names = TestAppHost.ApplicationResources(builder.Resources).Select(r => r.Name).Order().ToArray();

        Assert.Equal(
            ["console", "notification-worker", "notificationservice", "order-worker", "orderservice", "rabbitmq", "redis", "user-worker", "userservice"],
            names);
    }

    [Fact]
    public async Task Build_MakesEveryProjectReferenceAndWaitForBothServers()
    {
        var builder = await CreateBuilderAsync("executables");

        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var waits = project.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).ToArray();
            Assert.Contains("rabbitmq", waits);
            Assert.Contains("redis", waits);

            var environment = await EnvironmentOfAsync(project);
            Assert.Contains("ConnectionStrings__rabbitmq", environment.Keys);
            Assert.Contains("ConnectionStrings__redis", environment.Keys);

            Assert.Contains(project.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        }
    }

    [Theory]
    [InlineData("user-worker", "user_queue")]
    [InlineData("order-worker", "order_queue")]
    [InlineData("notification-worker", "notification_queue,default")]
    public async Task Build_PassesEachWorkerItsQueueSetAndBeat(string worker, string queues)
    {
        var builder = await CreateBuilderAsync("executables");

        var resource = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == worker));
        var arguments = await ArgumentsOfAsync(resource);

        // Every worker runs the scheduler; the Redis lease makes one fire each tick.
        Assert.Equal(["--queues", queues, "--beat"], arguments);
    }

    [Fact]
    public async Task Build_PassesScheduleOverridesToEveryWorker()
    {
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, "--Infrastructure:Mode=executables",
                "--TaskEngine:Schedules:expire-unpaid-orders:Interval=00:00:10"),
            TestContext.Current.CancellationToken);

        foreach (var worker in builder.Resources.OfType<ProjectResource>().Where(p => p.Name.EndsWith("-worker", StringComparison.Ordinal)))
        {
            var environment = await EnvironmentOfAsync(worker);
            Assert.Equal("00:00:10", environment["TaskEngine__Schedules__expire-unpaid-orders__Interval"]?.ToString());
        }
    }

    [Fact]
    public async Task Build_GivesWorkersAShutdownGraceWithinDcpsKillTimeout_OnlyWhenRunning()
    {
        var builder = await CreateBuilderAsync("executables");

        foreach (var worker in builder.Resources.OfType<ProjectResource>().Where(p => p.Name.EndsWith("-worker", StringComparison.Ordinal)))
        {
            var running = await EnvironmentOfAsync(worker, DistributedApplicationOperation.Run);
            var published = await EnvironmentOfAsync(worker, DistributedApplicationOperation.Publish);
            Assert.Equal("00:00:04", running["Worker__ShutdownGracePeriod"]?.ToString());
            Assert.False(published.ContainsKey("Worker__ShutdownGracePeriod"));
        }
    }

    [Fact]
    public async Task Build_GivesEachWorkerItsOwnCeleryNodeName()
    {
        var builder = await CreateBuilderAsync("executables");

        foreach (var worker in builder.Resources.OfType<ProjectResource>().Where(p => p.Name.EndsWith("-worker", StringComparison.Ordinal)))
        {
            var environment = await EnvironmentOfAsync(worker);
            Assert.Equal($"{worker.Name}@%h", environment["Worker__Hostname"]?.ToString());
        }
    }

    [Fact]
    public async Task Build_UsesTheMachinesServers_WhenModeIsExecutables()
    {
        var builder = await CreateBuilderAsync("executables");

        var rabbit = Assert.IsType<RabbitMQExecutableResource>(builder.Resources.Single(r => r.Name == "rabbitmq"));
        Assert.IsType<RedisExecutableResource>(builder.Resources.Single(r => r.Name == "redis"));
        Assert.All(
            rabbit.Annotations.OfType<EndpointAnnotation>(),
            endpoint => Assert.False(endpoint.IsProxied, $"endpoint {endpoint.Name} must be the broker's own port"));
        Assert.Contains(rabbit.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "list-queues");
        Assert.Contains(rabbit.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "purge-queue");
    }

    [Fact]
    public async Task Build_UsesTheStockContainers_WhenModeIsContainers()
    {
        var builder = await CreateBuilderAsync("containers");

        var rabbit = Assert.IsType<RabbitMQServerResource>(builder.Resources.Single(r => r.Name == "rabbitmq"));
        Assert.IsType<RedisResource>(builder.Resources.Single(r => r.Name == "redis"));
        Assert.Contains(rabbit.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "list-queues");
    }

    [Fact]
    public async Task Build_DeclaresOnlyTheServers_WhenInfrastructureOnly()
    {
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: true, "--Infrastructure:Mode=executables"),
            TestContext.Current.CancellationToken);

        Assert.Empty(builder.Resources.OfType<ProjectResource>());
        Assert.Contains(builder.Resources, r => r.Name == "rabbitmq");
        Assert.Contains(builder.Resources, r => r.Name == "redis");
    }

    private static async Task<IReadOnlyList<string?>> ArgumentsOfAsync(IResource resource)
    {
        var arguments = new List<object>();
        var context = new CommandLineArgsCallbackContext(arguments, TestContext.Current.CancellationToken);
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        return arguments.Select(a => a.ToString()).ToList();
    }

    private static async Task<IReadOnlyDictionary<string, object>> EnvironmentOfAsync(
        IResource resource, DistributedApplicationOperation operation = DistributedApplicationOperation.Publish)
    {
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(operation), resource, environment, TestContext.Current.CancellationToken);
        foreach (var annotation in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        return environment;
    }

    private static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string mode) =>
        TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, $"--Infrastructure:Mode={mode}"),
            TestContext.Current.CancellationToken);
}
