using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The AppHost's model with <c>Infrastructure:RabbitMQNodes=3</c>, built without starting anything.</summary>
public sealed class RabbitMQClusterModelTests
{
    [Theory]
    [InlineData("executables")]
    [InlineData("containers")]
    public async Task Build_DeclaresTheClusterWithThreeNodesAsItsChildren(string mode)
    {
        var builder = await CreateBuilderAsync(mode);

        var cluster = Assert.IsType<RabbitMQClusterResource>(builder.Resources.Single(r => r.Name == "rabbitmq"));
        Assert.Equal(["rabbitmq-0", "rabbitmq-1", "rabbitmq-2"], cluster.Nodes.Select(n => n.Name));
        foreach (var node in cluster.Nodes)
        {
            Assert.Same(node, builder.Resources.Single(r => r.Name == node.Name));
            Assert.IsType(mode == "executables" ? typeof(RabbitMQExecutableResource) : typeof(RabbitMQServerResource), node);
            // Nested under the cluster on the dashboard.
            Assert.Contains(node.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Parent" && r.Resource == cluster);
        }

        Assert.Contains(cluster.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "rabbitmq_cluster_check");
        Assert.Contains(cluster.Annotations.OfType<ResourceCommandAnnotation>(), c => c.Name == "list-queues");
    }

    [Fact]
    public async Task Build_GivesServicesEveryNodeInOneConnectionString()
    {
        var builder = await CreateBuilderAsync("executables");
        var cluster = (IResourceWithConnectionString)builder.Resources.Single(r => r.Name == "rabbitmq");

        // Celery's failover form: each node's AMQP URI, separated by ';'.
        Assert.Equal(
            "{rabbitmq-0.connectionString};{rabbitmq-1.connectionString};{rabbitmq-2.connectionString}",
            cluster.ConnectionStringExpression.ValueExpression);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource == cluster);
        }
    }

    // A classic queue lives on one node; only quorum queues survive the node's loss, and every declarer must agree.
    [Fact]
    public async Task Build_GivesEveryProjectQuorumQueues_WhenTheBrokerIsACluster()
    {
        var builder = await CreateBuilderAsync("executables");

        var projects = builder.Resources.OfType<ProjectResource>().ToList();
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            Assert.Equal("quorum", (await EnvironmentOfAsync(project))["TaskEngine__QueueType"]);
        }
    }

    [Theory]
    [InlineData("executables")]
    [InlineData("containers")]
    public async Task Build_ShowsEveryNodesAmqpUrlFirst_AndNoErlangPort(string mode)
    {
        var builder = await TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, $"--Infrastructure:Mode={mode}", "--Infrastructure:RabbitMQNodes=3", "--Infrastructure:RabbitMQManagement=true"),
            TestContext.Current.CancellationToken);
        var cluster = Assert.IsType<RabbitMQClusterResource>(builder.Resources.Single(r => r.Name == "rabbitmq"));

        foreach (var node in cluster.Nodes.Cast<IResourceWithEndpoints>())
        {
            var urls = await AppHostModelTests.DashboardUrlsAsync(node);

            Assert.Equal("AMQP", urls[0].DisplayText);
            Assert.StartsWith("amqp://localhost:", urls[0].Url, StringComparison.Ordinal);
            // A local node's Erlang distribution port is no URL.
            Assert.DoesNotContain(urls, u => u.Endpoint?.EndpointName is "dist" or "epmd");
        }
    }

    [Fact]
    public async Task Build_GivesEveryLocalNodeOwnPortsDataAndName_AndOnePassword()
    {
        var builder = await CreateBuilderAsync("executables");

        var nodes = builder.Resources.OfType<RabbitMQExecutableResource>().ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Equal(3, nodes.Select(n => n.NodeName).Distinct().Count());
        Assert.Equal(3, nodes.Select(n => n.WorkingDirectory).Distinct().Count());
        Assert.Single(nodes.Select(n => n.PasswordParameter).Distinct());
        Assert.All(nodes, n => Assert.Equal(
            ["tcp", "dist"], n.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name)));
    }

    [Fact]
    public async Task Build_SharesOneCookieAndJoinsTheFirstNode_WhenContainers()
    {
        var builder = await CreateBuilderAsync("containers");
        var nodes = builder.Resources.OfType<RabbitMQServerResource>().OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

        var environments = new List<IReadOnlyDictionary<string, object>>();
        foreach (var node in nodes)
        {
            environments.Add(await EnvironmentOfAsync(node));
        }

        Assert.Single(environments.Select(e => e["RABBITMQ_ERLANG_COOKIE"]).Distinct());
        Assert.Equal(["rabbit@rabbitmq-0", "rabbit@rabbitmq-1", "rabbit@rabbitmq-2"], environments.Select(e => e["RABBITMQ_NODENAME"].ToString()));
        Assert.False(environments[0].ContainsKey("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"));
        Assert.Contains("{['rabbit@rabbitmq-0','rabbit@rabbitmq-2'],disc}", environments[2]["RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS"].ToString(), StringComparison.Ordinal);
        Assert.Single(nodes.Select(n => n.PasswordParameter).Distinct());
    }

    private static async Task<IReadOnlyDictionary<string, object>> EnvironmentOfAsync(IResource resource)
    {
        var environment = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(
            new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource, environment, TestContext.Current.CancellationToken);
        foreach (var annotation in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        return environment;
    }

    private static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(string mode) =>
        TestAppHost.CreateBuilderAsync(
            TestAppHost.Arguments(infrastructureOnly: false, $"--Infrastructure:Mode={mode}", "--Infrastructure:RabbitMQNodes=3"),
            TestContext.Current.CancellationToken);
}
