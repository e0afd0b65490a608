using System.Text.Json;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class EventsCommandTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Events_PrintsTheWorkersTaskEvents_UntilInterrupted(bool json)
    {
        // The JSON run also turns task events on itself (--enable): its worker starts without them.
        var (host, node) = await ControlTestHost.StartAsync(fixture, events: !json);
        await using var _ = host;
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(Token);
        string[] args = json ? ["events", "--no-heartbeats", "--json", "--enable"] : ["events", "--no-heartbeats"];
        var (exit, output, _) = CliRunner.Start(CliRunner.Environment(fixture, host), args, interrupt.Token);

        // The listener binds its queue asynchronously: send until one task's events have been seen whole.
        var sent = new List<string>();
        await Eventually.UntilAsync(async () =>
        {
            var result = await host.Client.SendAsync(DiagnosticTasks.Add, [JsonSerializer.SerializeToElement(2), JsonSerializer.SerializeToElement(3)], cancellationToken: Token);
            sent.Add(result.Id);
            await result.GetAsync(Wait, Token);
            var text = output.ToString();
            return sent.Any(id => json
                ? text.Contains($"\"uuid\":\"{id}\"", StringComparison.Ordinal) && text.Contains("\"type\":\"task-succeeded\"", StringComparison.Ordinal)
                : text.Contains($"task succeeded: {DiagnosticTasks.Add}({id})", StringComparison.Ordinal));
        }, Wait, Token, interval: TimeSpan.FromMilliseconds(300));
        await interrupt.CancelAsync();

        Assert.Equal(0, await exit.WaitAsync(Wait, Token));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (json)
        {
            Assert.All(lines, line => Assert.StartsWith("task-", JsonDocument.Parse(line).RootElement.GetProperty("type").GetString(), StringComparison.Ordinal));
        }
        else
        {
            Assert.Contains(lines, line => line.StartsWith($"{node} [", StringComparison.Ordinal)
                && line.Contains($"task received: {DiagnosticTasks.Add}(", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, line => line.Contains("heartbeat", StringComparison.Ordinal));
        }
    }
}
