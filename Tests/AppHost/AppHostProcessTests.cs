using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The AppHost run as a process: what azd reads from it, and how it stops when it cannot start.</summary>
public sealed class AppHostProcessTests
{
    [Fact]
    public async Task PublishManifest_DescribesRabbitMQAndRedisAsContainers_OnAMachineWithoutDocker()
    {
        using var manifest = JsonDocument.Parse(await PublishManifestAsync());
        var resources = manifest.RootElement.GetProperty("resources");

        var rabbit = resources.GetProperty("rabbitmq");
        Assert.Equal("container.v0", rabbit.GetProperty("type").GetString());
        Assert.Contains("rabbitmq", rabbit.GetProperty("image").GetString(), StringComparison.Ordinal);
        Assert.True(rabbit.GetProperty("bindings").TryGetProperty("management", out _), "the management UI is published");

        var redis = resources.GetProperty("redis");
        Assert.Equal("container.v0", redis.GetProperty("type").GetString());
        Assert.Contains("redis", redis.GetProperty("image").GetString(), StringComparison.Ordinal);

        foreach (var project in (string[])["userservice", "orderservice", "notificationservice", "user-worker", "order-worker", "notification-worker"])
        {
            Assert.Equal("project.v0", resources.GetProperty(project).GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task PublishManifest_HasEveryServiceWorkerServerAndSecret_AndNothingOfTheLocalRun()
    {
        var text = await PublishManifestAsync();
        using var manifest = JsonDocument.Parse(text);
        var resources = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .ToDictionary(r => r.Name, r => r.Value.GetProperty("type").GetString());

        string[] projects = ["userservice", "orderservice", "notificationservice", "user-worker", "order-worker", "notification-worker", "console"];
        foreach (var project in projects)
        {
            Assert.Equal("project.v0", resources[project]);
        }

        Assert.Equal("container.v0", resources["rabbitmq"]);
        Assert.Equal("container.v0", resources["redis"]);
        foreach (var secret in (string[])["rabbitmq-password", "redis-password", "console-password"])
        {
            Assert.Equal("parameter.v0", resources[secret]);
            var inputs = manifest.RootElement.GetProperty("resources").GetProperty(secret).GetProperty("inputs").GetProperty("value");
            Assert.True(inputs.GetProperty("secret").GetBoolean(), $"{secret} is a secret azd asks for or generates");
        }

        // Nothing else: no executable (this machine's servers), nothing unnamed.
        Assert.All(resources.Values, type => Assert.Contains(type, (string[])["project.v0", "container.v0", "parameter.v0", "annotated.string", "value.v0"]));

        // Every service and worker gets both connections from the published servers.
        foreach (var project in projects)
        {
            var environment = manifest.RootElement.GetProperty("resources").GetProperty(project).GetProperty("env");
            Assert.Equal("{rabbitmq.connectionString}", environment.GetProperty("ConnectionStrings__rabbitmq").GetString());
            Assert.Equal("{redis.connectionString}", environment.GetProperty("ConnectionStrings__redis").GetString());
        }

        // Settings that only make sense on this machine, or in a local run, stay out of what azd deploys.
        foreach (var local in (string[])["executable.v0", "/usr/lib/", "/usr/sbin/", ".data", "/tmp/", "Infrastructure", "RABBITMQ_NODENAME",
                     "RABBITMQ_DIST_PORT", "Worker__ShutdownGracePeriod", "localhost", "127.0.0.1", "OTEL_EXPORTER_OTLP_ENDPOINT", "ASPIRE_", "ONBOARDING_APPHOST", "Development"])
        {
            Assert.DoesNotContain(local, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task PublishManifest_DescribesAThreeNodeClusterAndGivesServicesEveryNode_WhenRabbitMQNodesIsThree()
    {
        using var manifest = JsonDocument.Parse(await PublishManifestAsync("--Infrastructure:RabbitMQNodes=3"));
        var resources = manifest.RootElement.GetProperty("resources");

        // The cluster is a connection string over its nodes; each node is a container with the shared cookie.
        var cluster = resources.GetProperty("rabbitmq");
        Assert.Equal("value.v0", cluster.GetProperty("type").GetString());
        Assert.Equal(
            "{rabbitmq-0.connectionString};{rabbitmq-1.connectionString};{rabbitmq-2.connectionString}",
            cluster.GetProperty("connectionString").GetString());
        for (var i = 0; i < 3; i++)
        {
            var node = resources.GetProperty($"rabbitmq-{i}");
            Assert.Equal("container.v0", node.GetProperty("type").GetString());
            var environment = node.GetProperty("env");
            Assert.Equal("{rabbitmq-erlang-cookie.value}", environment.GetProperty("RABBITMQ_ERLANG_COOKIE").GetString());
            Assert.Equal($"rabbit@rabbitmq-{i}", environment.GetProperty("RABBITMQ_NODENAME").GetString());
            Assert.Equal(i > 0, environment.TryGetProperty("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", out _));
            // The Erlang ports the nodes talk over, for the deployment to open between them.
            Assert.Equal(4369, node.GetProperty("bindings").GetProperty("epmd").GetProperty("targetPort").GetInt32());
            Assert.Equal(25672, node.GetProperty("bindings").GetProperty("dist").GetProperty("targetPort").GetInt32());
        }

        Assert.True(resources.GetProperty("rabbitmq-erlang-cookie").GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.False(resources.TryGetProperty("rabbitmq-0-password", out _), "the nodes share one password");
        foreach (var project in (string[])["userservice", "orderservice", "notificationservice", "user-worker", "order-worker", "notification-worker"])
        {
            Assert.Equal("{rabbitmq.connectionString}", resources.GetProperty(project).GetProperty("env").GetProperty("ConnectionStrings__rabbitmq").GetString());
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public async Task Run_StopsWithOneClearMessage_WhenTheRabbitMQNodeCountIsInvalid(string nodes)
    {
        var outcome = await AppHostProcess.RunAsync(
            [$"--Infrastructure:RabbitMQNodes={nodes}"], environment: null, TestContext.Current.CancellationToken);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains($"Infrastructure:RabbitMQNodes is '{nodes}'", outcome.Error, StringComparison.Ordinal);
    }

    /// <summary>Runs the AppHost as azd does and returns the manifest it wrote.</summary>
    private static async Task<string> PublishManifestAsync(params string[] arguments)
    {
        var output = Path.Combine(Path.GetTempPath(), $"onboarding-manifest-{Guid.NewGuid():N}");
        var manifestPath = Path.Combine(output, "aspire-manifest.json");
        try
        {
            var outcome = await AppHostProcess.RunAsync(
                ["--publisher", "manifest", "--output-path", manifestPath, .. arguments],
                environment: null,
                TestContext.Current.CancellationToken);
            Assert.True(outcome.ExitCode == 0, outcome.Output + outcome.Error);
            return await File.ReadAllTextAsync(manifestPath, TestContext.Current.CancellationToken);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Run_StopsWithOneClearMessage_WhenNeitherContainersNorServersAreAvailable()
    {
        var outcome = await AppHostProcess.RunAsync(
            [
                "--Infrastructure:RabbitMQServerPath=/nonexistent/rabbitmq-server",
                "--Infrastructure:RedisServerPath=/nonexistent/redis-server",
            ],
            new Dictionary<string, string> { ["ASPIRE_CONTAINER_RUNTIME"] = "/nonexistent/docker" },
            TestContext.Current.CancellationToken);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("start Docker", outcome.Error, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y rabbitmq-server redis-server", outcome.Error, StringComparison.Ordinal);
    }
}
