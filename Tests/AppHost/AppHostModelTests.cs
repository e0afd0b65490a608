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

    [Fact]
    public async Task Build_GivesOrderServiceUserServicesAddress_WithoutWaitingForIt()
    {
        var builder = await CreateBuilderAsync("executables");

        var orderService = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "orderservice"));
        // WithReference(userservice): the service-discovery address of http://userservice, which OrderService asks
        // whether an order's user exists.
        Assert.Contains(orderService.Annotations.OfType<ResourceRelationshipAnnotation>(),
            r => r.Resource.Name == "userservice" && r.Type == "Reference");
        var environment = await EnvironmentOfAsync(orderService, DistributedApplicationOperation.Run);
        Assert.Contains(environment.Keys, key => key.StartsWith("services__userservice__http__", StringComparison.Ordinal));
        // Not WaitFor: while UserService is down, orders are accepted and checked by their first task.
        Assert.DoesNotContain(orderService.Annotations.OfType<WaitAnnotation>(), w => w.Resource.Name == "userservice");
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
    public async Task Build_TellsEveryProjectTheAppHostsProcess_OnlyWhenRunning()
    {
        var builder = await CreateBuilderAsync("executables");

        // Projects stop themselves when the AppHost ends (the orchestrator's SIGTERM stops at `dotnet run`); a
        // deployment has no AppHost process and keeps its platform's SIGTERM.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var running = await EnvironmentOfAsync(project, DistributedApplicationOperation.Run);
            var published = await EnvironmentOfAsync(project, DistributedApplicationOperation.Publish);
            Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), running["ONBOARDING_APPHOST_PID"]?.ToString());
            Assert.False(published.ContainsKey("ONBOARDING_APPHOST_PID"));
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

    [Theory]
    [InlineData("executables")]
    [InlineData("containers")]
    public async Task Build_ShowsTheAmqpUrlFirstAndNoErlangPort_OnTheBrokersResource(string mode)
    {
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, $"--Infrastructure:Mode={mode}", "--Infrastructure:RabbitMQManagement=true"),
            TestContext.Current.CancellationToken);
        var rabbit = (IResourceWithEndpoints)builder.Resources.Single(r => r.Name == "rabbitmq");

        var urls = await DashboardUrlsAsync(rabbit);

        var first = urls[0];
        Assert.Equal("AMQP", first.DisplayText);
        Assert.StartsWith("amqp://localhost:", first.Url, StringComparison.Ordinal);
        Assert.Equal("tcp", first.Endpoint?.EndpointName);
        Assert.Contains(urls, u => u.DisplayText == "Management UI" || u.Endpoint?.EndpointName == "management");
        Assert.DoesNotContain(urls, u => u.Endpoint?.EndpointName == "dist");
    }

    [Theory]
    [InlineData(DistributedApplicationOperation.Run, true, "3.10-management")]
    [InlineData(DistributedApplicationOperation.Run, false, "3.10")]
    [InlineData(DistributedApplicationOperation.Publish, false, "3.10-management")]
    public async Task Build_PinsTheServerImagesToTheTestedLines_WhenContainers(
        DistributedApplicationOperation operation, bool management, string rabbitTag)
    {
        string[] arguments = operation == DistributedApplicationOperation.Publish
            ? ["--publisher", "manifest", "--output-path", Path.Combine(Path.GetTempPath(), "unused-manifest.json")]
            : [];
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, ["--Infrastructure:Mode=containers", $"--Infrastructure:RabbitMQManagement={management}", .. arguments]),
            TestContext.Current.CancellationToken);

        var rabbit = builder.Resources.Single(r => r.Name == "rabbitmq").Annotations.OfType<ContainerImageAnnotation>().Single();
        var redis = builder.Resources.Single(r => r.Name == "redis").Annotations.OfType<ContainerImageAnnotation>().Single();

        // Debian 12's RabbitMQ 3.10 and Redis 7.0 are what every test runs against (see the README's "Versions").
        Assert.Equal(("library/rabbitmq", rabbitTag), (rabbit.Image, rabbit.Tag));
        Assert.Equal(("library/redis", "7.0"), (redis.Image, redis.Tag));
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

    /// <summary>The URLs the dashboard lists for a resource, in its order: allocated endpoints, then the URL callbacks.</summary>
    internal static async Task<List<ResourceUrlAnnotation>> DashboardUrlsAsync(IResourceWithEndpoints resource)
    {
        var port = 20000;
        var urls = resource.Annotations.OfType<EndpointAnnotation>()
            .Select(endpoint => new ResourceUrlAnnotation
            {
                Url = $"{endpoint.UriScheme}://localhost:{port++}",
                Endpoint = new EndpointReference(resource, endpoint.Name),
            })
            .ToList();
        var context = new ResourceUrlsCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, urls, TestContext.Current.CancellationToken);
        foreach (var annotation in resource.Annotations.OfType<ResourceUrlsCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        // The dashboard puts the highest display order first; equal ones keep their order.
#pragma warning disable CS0618 // still the field the dashboard sorts by
        return [.. urls.OrderByDescending(u => u.DisplayOrder ?? 0)];
#pragma warning restore CS0618
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
