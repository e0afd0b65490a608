using System.Text.Json;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class CallCommandTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Call_PrintsTheResult_WhenWaitingForATaskThatSucceeds()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var run = await CliRunner.RunAsync(fixture, host, "call", DiagnosticTasks.Add, "--args", "[2, 3]", "--queue", host.Queue, "--wait", "--timeout", "30");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"(?m)^state:\s+SUCCESS$", run.Out);
        Assert.Matches(@"(?m)^result:\s+5$", run.Out);
    }

    [Fact]
    public async Task Call_ExitsOneWithTheTraceback_WhenTheTaskFails()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var run = await CliRunner.RunAsync(
            fixture, host, "call", DiagnosticTasks.Fail, "--kwargs", """{"message": "card declined"}""", "--wait", "-t", "30");

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Matches(@"(?m)^state:\s+FAILURE$", run.Out);
        Assert.Contains("card declined", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^traceback:", run.Out);
    }

    [Fact]
    public async Task Call_PrintsOnlyTheId_WhenNotWaiting()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var run = await CliRunner.RunAsync(fixture, host, "call", DiagnosticTasks.Echo, "--kwargs", """{"value": "hi"}""", "--countdown", "0.5");

        Assert.True(run.ExitCode == 0, run.ToString());
        var id = run.Out.Trim();
        Assert.True(Guid.TryParse(id, out _), run.ToString());
        Assert.Equal("hi", (await host.Client.GetResult(id).GetAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken)).GetString());
    }

    [Fact]
    public async Task Call_WritesJson_WhenAskedForJson()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var run = await CliRunner.RunAsync(fixture, host, "call", DiagnosticTasks.Add, "-a", "[20, 22]", "--wait", "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Out);
        Assert.Equal("SUCCESS", document.RootElement.GetProperty("state").GetString());
        Assert.Equal(42, document.RootElement.GetProperty("result").GetInt32());
    }

    [Theory]
    [InlineData("--args", "[1,", "--args is not valid JSON")]
    [InlineData("--args", """{"a": 1}""", "--args must be a JSON array")]
    [InlineData("--kwargs", "[1]", "--kwargs must be a JSON object")]
    public async Task Call_ExitsTwoWithOneLine_WhenArgumentsAreBadJson(string option, string value, string message)
    {
        var run = await CliRunner.RunAsync(fixture, null, "call", DiagnosticTasks.Add, option, value);

        CliRunner.AssertOneLineError(run, 2, message);
    }

    [Fact]
    public async Task Call_ExitsOneAndSendsNothing_WhenTheQueueDoesNotExist()
    {
        var queue = "no-such-queue-" + Guid.NewGuid().ToString("N")[..8];

        var run = await CliRunner.RunAsync(fixture, null, "call", DiagnosticTasks.Ping, "--queue", queue);

        CliRunner.AssertOneLineError(run, 1, $"no queue named '{queue}'");
        var check = await CliRunner.RunAsync(fixture, null, "purge", queue, "--yes");
        Assert.Equal(1, check.ExitCode);
    }
}
