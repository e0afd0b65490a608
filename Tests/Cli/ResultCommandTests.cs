using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class ResultCommandTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Result_ShowsStateResultAndChildren_WhenTheTaskStartedAChain()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var workflows = host.Services.GetRequiredService<IWorkflowClient>();
        var last = await workflows.ApplyAsync(
            Chain.Of(Signature.Create(DiagnosticTasks.Add, 1, 2), Signature.Create(DiagnosticTasks.Add, 3)), TestContext.Current.CancellationToken);
        await last.GetAsync(Wait, TestContext.Current.CancellationToken);
        var first = last.Parent!.Id;

        var run = await CliRunner.RunAsync(fixture, host, "result", first);
        var json = await CliRunner.RunAsync(fixture, host, "result", first, "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"(?m)^state:\s+SUCCESS$", run.Out);
        Assert.Matches(@"(?m)^result:\s+3$", run.Out);
        Assert.Matches($@"(?m)^children:\s+{last.Id}$", run.Out);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal(last.Id, document.RootElement.GetProperty("children")[0][0][0].GetString());
    }

    [Fact]
    public async Task Result_ShowsTheTraceback_WhenTheTaskFailed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var sent = await host.Client.SendAsync(DiagnosticTasks.Fail, new { message = "boom" }, cancellationToken: TestContext.Current.CancellationToken);

        var run = await CliRunner.RunAsync(fixture, host, "result", sent.Id, "--wait", "--timeout", "30");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Matches(@"(?m)^state:\s+FAILURE$", run.Out);
        Assert.Contains("boom", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^traceback:\s+\S", run.Out);
    }

    [Fact]
    public async Task Result_ExitsOneWithANote_WhenTheIdIsUnknown()
    {
        var id = Guid.NewGuid().ToString();

        var run = await CliRunner.RunAsync(fixture, null, "result", id);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Matches(@"(?m)^state:\s+PENDING$", run.Out);
        Assert.Contains($"No result is stored for {id}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }
}
