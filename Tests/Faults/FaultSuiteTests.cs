using Onboarding.Faults;

namespace Onboarding.Tests.Faults;

/// <summary>
/// The fault suite's quick variant, one test per scenario, on private servers of its own (the machine's RabbitMQ and
/// Redis with its append-only file, started through the AppHost), real Workers processes and a Python Celery sender.
/// Counts are asserted exactly; no timing is.
/// </summary>
[Collection(FaultServersCollection.Name)]
public sealed class FaultSuiteTests(FaultServersFixture fixture)
{
    public static TheoryData<string> ScenarioIds => [.. FaultSuite.Scenarios.Select(s => s.Id)];

    [Theory]
    [MemberData(nameof(ScenarioIds))]
    public async Task Scenario_LosesNothing_WhenItsFaultIsInjected(string id)
    {
        var scenario = FaultSuite.Scenarios.Single(s => s.Id == id);
        var log = new StringWriter();
        var run = new FaultRun(fixture.Servers, FaultOptions.Parse(["--quick"]), log, fixture.Directory);

        var outcomes = await scenario.RunAsync(run, TestContext.Current.CancellationToken);

        TestContext.Current.TestOutputHelper?.WriteLine(log.ToString() + FaultReport.ToMarkdown(outcomes));
        Assert.NotEmpty(outcomes);
        Assert.All(outcomes, outcome =>
        {
            Assert.True(outcome.Sent > 0, outcome.Scenario);
            Assert.Equal(0, outcome.Lost);
            Assert.Equal(0, outcome.WronglyFailed);
            Assert.Equal(0, outcome.DuplicateCallbacks);
            Assert.Equal(0, outcome.WorkerExits);
            Assert.Equal(0, outcome.Mishandled);
            Assert.Equal(0, outcome.HungSends);
            Assert.True(outcome.Holds, outcome.Notes);
        });
    }

    [Fact]
    public void Options_ParseQuickAndOnly()
    {
        var options = FaultOptions.Parse(["--quick", "--only", "kill,Malformed"]);

        Assert.True(options.Quick);
        Assert.True(options.Only!.SetEquals(["kill", "malformed"]));
        Assert.Throws<ArgumentException>(() => FaultOptions.Parse(["--bogus"]));
    }

    [Fact]
    public void Report_IsOneMarkdownTable_WithTheIssuesColumns()
    {
        var table = FaultReport.ToMarkdown(
        [
            new FaultOutcome
            {
                Scenario = "x", Sent = 20_000, Succeeded = 20_000, Lost = 0, RunTwice = 1, WronglyFailed = 0, DeadLettered = 0,
                WorkerExits = 0, TimeToRecover = TimeSpan.FromSeconds(2.5), Notes = "a|b",
            },
        ]);

        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("| scenario | tasks sent | succeeded | lost | run twice | wrongly FAILURE | dead-lettered | time to recover |", lines[0], StringComparison.Ordinal);
        Assert.Equal("| x | 20,000 | 20,000 | 0 | 1 | 0 | 0 | 2.5 s | 0 | a\\|b |", lines[2]);
    }
}
