using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class PurgeCommandTests(BrokerFixture fixture)
{
    [Fact]
    public async Task Purge_EmptiesTheQueue_WhenConfirmedWithYes()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        for (var i = 0; i < 3; i++)
        {
            await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: TestContext.Current.CancellationToken);
        }

        var run = await CliRunner.RunAsync(fixture, host, "purge", host.Queue, "--yes");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"Purged 3 message(s) from '{host.Queue}'", run.Out, StringComparison.Ordinal);
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task Purge_AsksAndKeepsTheMessages_WhenTheAnswerIsNo()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: TestContext.Current.CancellationToken);

        var run = await CliRunner.RunAsync(
            CliRunner.Environment(fixture, host), ["purge", host.Queue], input: "n\n", CancellationToken.None);

        Assert.True(run.ExitCode == 1, run.ToString());
        Assert.Contains($"Delete the 1 waiting message(s) of '{host.Queue}'? [y/N]", run.Error, StringComparison.Ordinal);
        Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task Purge_RefusesWithoutATerminal_WhenYesIsNotGiven()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: TestContext.Current.CancellationToken);

        var run = await CliRunner.RunAsync(fixture, host, "purge", host.Queue);

        CliRunner.AssertOneLineError(run, 2, "Pass --yes to confirm");
        Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task Purge_ExitsOne_WhenTheQueueDoesNotExist()
    {
        var run = await CliRunner.RunAsync(fixture, null, "purge", "no-such-queue", "--yes");

        CliRunner.AssertOneLineError(run, 1, "There is no queue named 'no-such-queue'");
    }
}
