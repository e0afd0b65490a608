using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The console's Queues page is given the broker's management API exactly when the plugin runs.</summary>
public sealed class ConsoleQueuesSourceModelTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Build_GivesTheConsoleTheManagementApi_OnlyWhenThePluginRuns(bool management)
    {
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, "--Infrastructure:Mode=executables", $"--Infrastructure:RabbitMQManagement={management}"),
            TestContext.Current.CancellationToken);

        var console = builder.Resources.Single(r => r.Name == "console");
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Publish), console, environment, TestContext.Current.CancellationToken);
        foreach (var annotation in console.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        if (management)
        {
            var endpoint = Assert.IsType<EndpointReference>(environment["Console__RabbitMQManagement"]);
            Assert.Equal("rabbitmq", endpoint.Resource.Name);
            Assert.Equal("management", endpoint.EndpointName);
        }
        else
        {
            Assert.DoesNotContain("Console__RabbitMQManagement", environment.Keys);
        }
    }
}
