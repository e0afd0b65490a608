using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The operations console in the AppHost's model, built without starting anything.</summary>
public sealed class OperationsConsoleModelTests
{
    [Fact]
    public async Task Build_GivesTheConsoleTheSecretPasswordParameterAndItsFixedPort()
    {
        var builder = await CreateBuilderAsync();

        var console = Assert.IsType<ProjectResource>(builder.Resources.Single(r => r.Name == "console"));
        var environment = await EnvironmentOfAsync(console);
        var password = Assert.IsType<ParameterResource>(environment["Console__Password"]);
        Assert.Equal("console-password", password.Name);
        Assert.True(password.Secret);
        var http = console.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == "http");
        Assert.Equal(5104, http.Port);
        Assert.Contains(console.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        Assert.NotEmpty(console.Annotations.OfType<ResourceUrlsCallbackAnnotation>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Build_KeepsTheConsoleInternal_UnlessASettingExposesIt(bool external)
    {
        var builder = await CreateBuilderAsync(external ? ["--Console:External=true"] : []);

        var console = builder.Resources.Single(r => r.Name == "console");
        Assert.All(console.Annotations.OfType<EndpointAnnotation>(), endpoint => Assert.Equal(external, endpoint.IsExternal));
    }

    [Fact]
    public async Task Build_StartsEveryWorkerWithTaskEventsAndANodeNameOfItsOwn()
    {
        var builder = await CreateBuilderAsync();

        var workers = builder.Resources.OfType<ProjectResource>().Where(p => p.Name.EndsWith("-worker", StringComparison.Ordinal)).ToList();
        var names = new List<string?>();
        foreach (var worker in workers)
        {
            var environment = await EnvironmentOfAsync(worker);
            Assert.Equal("true", environment["Worker__Events"]?.ToString());
            Assert.Equal("true", environment["TaskEngine__SendSentEvents"]?.ToString());
            // An interpolated value is a reference expression; these have nothing to resolve.
            names.Add(environment["Worker__Hostname"] is ReferenceExpression expression
                ? await expression.GetValueAsync(TestContext.Current.CancellationToken)
                : environment["Worker__Hostname"]?.ToString());
        }

        Assert.Equal(["notification-worker@%h", "order-worker@%h", "user-worker@%h"], names.Order());
    }

    private static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(params string[] extra) =>
        TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, ["--Infrastructure:Mode=executables", .. extra]),
            TestContext.Current.CancellationToken);

    private static async Task<IReadOnlyDictionary<string, object>> EnvironmentOfAsync(IResource resource)
    {
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), resource, environment, TestContext.Current.CancellationToken);
        foreach (var annotation in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        return environment;
    }
}
