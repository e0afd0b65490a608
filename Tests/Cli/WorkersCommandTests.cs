using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class WorkersCommandTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Workers_ListsTheWorkerWithItsStats_WhenItAnswersPing()
    {
        var (host, node) = await ControlTestHost.StartAsync(fixture, concurrency: 3);
        await using var _ = host;

        var run = await CliRunner.RunAsync(fixture, host, "workers", "-d", node, "--timeout", "10");
        var json = await CliRunner.RunAsync(fixture, host, "workers", "--destination", node, "--timeout", "10", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches($@"(?m)^\s*{node}\s+pong\s+{Environment.ProcessId}\s+3\s", run.Out);
        using var document = JsonDocument.Parse(json.Out);
        var worker = Assert.Single(document.RootElement.EnumerateArray());
        Assert.Equal(node, worker.GetProperty("node").GetString());
        Assert.Equal(3, worker.GetProperty("concurrency").GetInt32());
        Assert.Equal(JsonValueKind.Object, worker.GetProperty("stats").ValueKind);
    }

    [Fact]
    public async Task Workers_ExitsOne_WhenNoWorkerAnswers()
    {
        var run = await CliRunner.RunAsync(fixture, null, "workers", "-d", "celery@nobody-here", "--timeout", "0.5");

        CliRunner.AssertOneLineError(run, 1, "No nodes replied within 0.5 s (asked: celery@nobody-here).");
    }
}
