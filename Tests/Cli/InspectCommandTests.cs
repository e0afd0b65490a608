using System.Text.Json;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class InspectCommandTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Inspect_ShowsActiveAndReservedTasks_WhileTheWorkerIsBusy()
    {
        var (host, node) = await ControlTestHost.StartAsync(fixture, concurrency: 1);
        await using var _ = host;
        var running = await host.Client.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(60)], cancellationToken: Token);
        var waiting = await host.Client.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(60)], cancellationToken: Token);

        CliRun? active = null;
        await Eventually.UntilAsync(async () =>
        {
            active = await CliRunner.RunAsync(fixture, host, "inspect", "active", "-d", node, "-t", "10");
            return active.Out.Contains(running.Id, StringComparison.Ordinal);
        }, Wait, Token);
        var reserved = await CliRunner.RunAsync(fixture, host, "inspect", "reserved", "-d", node, "-t", "10", "--json");

        Assert.Matches($@"(?m)^\s*{node}\s+{running.Id}\s+{DiagnosticTasks.Sleep.Replace(".", @"\.", StringComparison.Ordinal)}\s", active!.Out);
        Assert.True(reserved.ExitCode == 0, reserved.ToString());
        using var document = JsonDocument.Parse(reserved.Out);
        Assert.Contains(waiting.Id, document.RootElement.GetProperty(node).GetRawText(), StringComparison.Ordinal);
        await host.Client.RevokeAsync(running.Id, Token);
        await host.Client.RevokeAsync(waiting.Id, Token);
    }

    [Fact]
    public async Task Inspect_ListsRegisteredTasksQueuesAndAnEmptySchedule_WhenTheWorkerIsIdle()
    {
        var (host, node) = await ControlTestHost.StartAsync(fixture);
        await using var _ = host;

        var registered = await CliRunner.RunAsync(fixture, host, "inspect", "registered", "-d", node, "-t", "10");
        var queues = await CliRunner.RunAsync(fixture, host, "inspect", "queues", "-d", node, "-t", "10");
        var scheduled = await CliRunner.RunAsync(fixture, host, "inspect", "scheduled", "-d", node, "-t", "10");

        Assert.True(registered.ExitCode == 0, registered.ToString());
        Assert.Matches($@"(?m)^\s*{node}\s+diagnostics\.add\b", registered.Out);
        Assert.True(queues.ExitCode == 0, queues.ToString());
        Assert.Matches($@"(?m)^\s*{node}\s+{host.Queue.Replace(".", @"\.", StringComparison.Ordinal)}\s", queues.Out);
        Assert.True(scheduled.ExitCode == 0, scheduled.ToString());
        Assert.Matches($@"(?m)^\s*{node}\s+-\s*$", scheduled.Out);
    }
}
