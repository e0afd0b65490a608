using System.Diagnostics;
using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class ConnectionSettingsTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Cli_ConnectsThroughTheAppHostStateFile_WhenNoSettingsAreGiven()
    {
        var stateFile = Path.Combine(Path.GetTempPath(), $"onboarding-apphost-{Guid.NewGuid():N}.json");
        using var self = Process.GetCurrentProcess();
        await WriteStateAsync(stateFile, Environment.ProcessId, self.StartTime);
        try
        {
            var run = await CliRunner.RunAsync(
                new Dictionary<string, string> { ["ONBOARDING_APPHOST_STATE"] = stateFile },
                ["purge", "no-such-queue", "--yes"], input: null, CancellationToken.None);

            // Connected: the broker itself said there is no such queue.
            CliRunner.AssertOneLineError(run, 1, "There is no queue named 'no-such-queue'");
        }
        finally
        {
            File.Delete(stateFile);
        }
    }

    [Fact]
    public async Task Cli_ExitsTwoNamingTheSettings_WhenTheAppHostThatWroteTheStateFileIsGone()
    {
        var stateFile = Path.Combine(Path.GetTempPath(), $"onboarding-apphost-{Guid.NewGuid():N}.json");
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await gone.WaitForExitAsync(TestContext.Current.CancellationToken);
        // An exited process has no start time to read; the pid alone no longer names a running process.
        await WriteStateAsync(stateFile, gone.Id, DateTime.Now);
        try
        {
            var run = await CliRunner.RunAsync(
                new Dictionary<string, string> { ["ONBOARDING_APPHOST_STATE"] = stateFile },
                ["dead-letters", "list"], input: null, CancellationToken.None);

            CliRunner.AssertOneLineError(run, 2, $"(pid {gone.Id}) is no longer running");
            Assert.Contains("--rabbitmq amqp://guest:<password>@localhost:<port>", run.Error, StringComparison.Ordinal);
            Assert.Contains("ConnectionStrings__rabbitmq", run.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(stateFile);
        }
    }

    [Fact]
    public async Task Cli_ExitsThreeWithoutThePassword_WhenRabbitMqRefusesTheLogin()
    {
        var uri = new UriBuilder(fixture.RabbitMqConnectionString) { Password = "wrong-password" }.Uri.ToString();

        var run = await CliRunner.RunAsync(fixture, null, "--rabbitmq", uri, "dead-letters", "list");

        CliRunner.AssertOneLineError(run, 3, "Cannot connect to RabbitMQ");
        Assert.DoesNotContain("wrong-password", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_ExitsThree_WhenRedisIsUnreachable()
    {
        var run = await CliRunner.RunAsync(fixture, null, "--redis", "127.0.0.1:1,password=secret,connectTimeout=1000", "result", "some-id");

        CliRunner.AssertOneLineError(run, 3, "Cannot connect to Redis at 127.0.0.1:1,password=***");
    }

    private async Task WriteStateAsync(string path, int pid, DateTime startedAt) =>
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new
        {
            pid,
            startedAt = new DateTimeOffset(startedAt.ToUniversalTime()),
            rabbitmq = fixture.RabbitMqConnectionString,
            redis = fixture.RedisConnectionString,
        }), TestContext.Current.CancellationToken);
}
