using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.AppHost;

/// <summary>The AppHost run as a process: what azd reads from it, and how it stops when it cannot start.</summary>
public sealed class AppHostProcessTests
{
    [Fact]
    public async Task PublishManifest_DescribesRabbitMQAndRedisAsContainers_OnAMachineWithoutDocker()
    {
        var output = Path.Combine(Path.GetTempPath(), $"onboarding-manifest-{Guid.NewGuid():N}");
        var manifestPath = Path.Combine(output, "aspire-manifest.json");
        try
        {
            var outcome = await AppHostProcess.RunAsync(
                ["--publisher", "manifest", "--output-path", manifestPath],
                environment: null,
                TestContext.Current.CancellationToken);

            Assert.True(outcome.ExitCode == 0, outcome.Output + outcome.Error);
            using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(manifestPath, TestContext.Current.CancellationToken));
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
