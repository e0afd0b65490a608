using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class RevokeCommandTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Revoke_StopsTheRunningTaskAndListsIt_WhenTerminateIsGiven()
    {
        var (host, node) = await ControlTestHost.StartAsync(fixture);
        await using var _ = host;
        var sleeping = await host.Client.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(120)], cancellationToken: Token);
        await Eventually.UntilAsync(async () => await sleeping.GetStateAsync(Token) == TaskState.Started
            || (await CliRunner.RunAsync(fixture, host, "inspect", "active", "-d", node, "-t", "10")).Out.Contains(sleeping.Id, StringComparison.Ordinal),
            Wait, Token);

        var run = await CliRunner.RunAsync(fixture, host, "revoke", sleeping.Id, "--terminate", "-d", node, "-t", "10");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{node}: ", run.Error, StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await sleeping.GetStateAsync(Token) == TaskState.Revoked, Wait, Token);
        var revoked = await CliRunner.RunAsync(fixture, host, "inspect", "revoked", "-d", node, "-t", "10");
        Assert.Matches($@"(?m)^\s*{node}\s+{sleeping.Id}\s*$", revoked.Out);
        var result = await CliRunner.RunAsync(fixture, host, "result", sleeping.Id);
        Assert.Matches(@"(?m)^state:\s+REVOKED$", result.Out);
    }

    [Fact]
    public async Task Revoke_KeepsTheTaskFromRunning_WhenItIsStillWaiting()
    {
        var (host, node) = await ControlTestHost.StartAsync(fixture);
        await using var _ = host;
        var id = Guid.NewGuid().ToString();

        var run = await CliRunner.RunAsync(fixture, host, "revoke", id, "-d", node, "-t", "10", "--json");
        var sent = await host.Client.SendAsync(DiagnosticTasks.Add, [JsonSerializer.SerializeToElement(1), JsonSerializer.SerializeToElement(2)],
            options: new TaskSendOptions { TaskId = id }, cancellationToken: Token);

        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Out);
        Assert.True(document.RootElement.GetProperty("replies").TryGetProperty(node, out var reply), run.ToString());
        Assert.Equal(JsonValueKind.Object, reply.ValueKind);
        await Eventually.UntilAsync(async () => await sent.GetStateAsync(Token) == TaskState.Revoked, Wait, Token);
    }
}
