using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Cli;

[Collection(BrokerCollection.Name)]
public sealed class DeadLettersCommandTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeadLetters_ListsAndShowsEachMessage_WhenTasksWereDeadLettered()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var (unknownA, unknownB, malformed) = await DeadLetterThreeAsync(host);

        var list = await CliRunner.RunAsync(fixture, host, "dead-letters", "list");
        var json = await CliRunner.RunAsync(fixture, host, "dead-letters", "list", "--json");
        var show = await CliRunner.RunAsync(fixture, host, "dead-letters", "show", unknownA);

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches($@"(?m)^\s*{unknownA}\s+tasks\.nonexistent\s+not-registered\s+{host.Queue}\s", list.Out);
        Assert.Matches($@"(?m)^\s*{malformed}\s+{DiagnosticTasks.Ping.Replace(".", @"\.", StringComparison.Ordinal)}\s+body\s", list.Out);
        using var document = JsonDocument.Parse(json.Out);
        Assert.Equal([unknownA, unknownB, malformed], document.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Matches(@"(?m)^reason:\s+not-registered$", show.Out);
        Assert.Matches(@"(?m)^\s+x-death-reason: not-registered$", show.Out);
        Assert.Matches(@"(?m)^body:\s+\[", show.Out);
        // Reading them took nothing away.
        Assert.Equal(3u, await DeadLetterCountAsync(host));
    }

    [Fact]
    public async Task DeadLetters_ReplaysOrDiscardsOnlyWhatIsSelected_WhenGivenAnIdOrAReason()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var (unknownA, unknownB, malformed) = await DeadLetterThreeAsync(host);
        // No worker from here on: what is replayed stays in the queue to be counted.
        await host.StopAsync();

        var replayOne = await CliRunner.RunAsync(fixture, host, "dead-letters", "replay", unknownB);
        var discardReason = await CliRunner.RunAsync(fixture, host, "dead-letters", "discard", "--reason", "not-registered", "--yes");
        var left = await CliRunner.RunAsync(fixture, host, "dead-letters", "list", "--json");

        Assert.True(replayOne.ExitCode == 0, replayOne.ToString());
        Assert.Contains("Replayed 1 dead letter(s).", replayOne.Out, StringComparison.Ordinal);
        Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
        Assert.True(discardReason.ExitCode == 0, discardReason.ToString());
        Assert.Contains("Discarded 1 dead letter(s).", discardReason.Out, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(left.Out);
        Assert.Equal([malformed], document.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()));
        Assert.DoesNotContain(unknownA, left.Out, StringComparison.Ordinal);

        var replayAll = await CliRunner.RunAsync(fixture, host, "dead-letters", "replay", "--all");
        Assert.True(replayAll.ExitCode == 0, replayAll.ToString());
        Assert.Equal(0u, await DeadLetterCountAsync(host));
        Assert.Equal(2u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task DeadLetters_ExitWithOneLine_WhenTheSelectionIsUnknownOrUnconfirmed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        await DeadLetterThreeAsync(host);

        var unknownId = await CliRunner.RunAsync(fixture, host, "dead-letters", "show", "no-such-id");
        var unknownReplay = await CliRunner.RunAsync(fixture, host, "dead-letters", "replay", "no-such-id");
        var unknownReason = await CliRunner.RunAsync(fixture, host, "dead-letters", "discard", "--reason", "cosmic-rays", "--yes");
        var unconfirmed = await CliRunner.RunAsync(fixture, host, "dead-letters", "discard", "--all");
        var twoSelections = await CliRunner.RunAsync(fixture, host, "dead-letters", "replay", "some-id", "--all");

        CliRunner.AssertOneLineError(unknownId, 1, "No dead letter has the id 'no-such-id'");
        CliRunner.AssertOneLineError(unknownReplay, 1, "No dead letter has the id 'no-such-id'");
        CliRunner.AssertOneLineError(unknownReason, 1, "reasons there: body, not-registered");
        CliRunner.AssertOneLineError(unconfirmed, 2, "Pass --yes to confirm");
        CliRunner.AssertOneLineError(twoSelections, 2, "Name exactly one of");
        Assert.Equal(3u, await DeadLetterCountAsync(host));
    }

    // Two unregistered tasks and one unreadable body, dead-lettered by the host's worker in that order.
    private static async Task<(string UnknownA, string UnknownB, string Malformed)> DeadLetterThreeAsync(EngineTestHost host)
    {
        var a = await host.Client.SendAsync("tasks.nonexistent", cancellationToken: Token);
        await Eventually.UntilAsync(async () => await DeadLetterCountAsync(host) == 1, Wait, Token);
        var b = await host.Client.SendAsync("tasks.nonexistent", cancellationToken: Token);
        await Eventually.UntilAsync(async () => await DeadLetterCountAsync(host) == 2, Wait, Token);
        var malformed = Guid.CreateVersion7().ToString();
        await host.PublishRawAsync("{not json"u8.ToArray(), new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Ping, ["id"] = malformed });
        await Eventually.UntilAsync(async () => await DeadLetterCountAsync(host) == 3, Wait, Token);
        return (a.Id, b.Id, malformed);
    }

    private static Task<uint> DeadLetterCountAsync(EngineTestHost host) =>
        host.Services.GetRequiredService<IDeadLetterQueue>().CountAsync(Token);
}
