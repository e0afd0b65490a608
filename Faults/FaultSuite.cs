using Onboarding.Faults.Scenarios;

namespace Onboarding.Faults;

/// <summary>Every scenario, in the order the table lists them.</summary>
internal static class FaultSuite
{
    public static IReadOnlyList<IFaultScenario> Scenarios { get; } =
    [
        new WorkerKillScenario(),
        new ServerStopScenario("broker-stop", broker: true, full: TimeSpan.FromSeconds(10), quick: TimeSpan.FromSeconds(5)),
        new ServerStopScenario("broker-stop-long", broker: true, full: TimeSpan.FromSeconds(45), quick: TimeSpan.FromSeconds(10)),
        new ServerStopScenario("redis-stop", broker: false, full: TimeSpan.FromSeconds(2), quick: TimeSpan.FromSeconds(2)),
        new ServerStopScenario("redis-stop-long", broker: false, full: TimeSpan.FromSeconds(16), quick: TimeSpan.FromSeconds(8)),
        new ChordScenario("chord-kill", ChordFault.WorkerKills),
        new ChordScenario("chord-redis", ChordFault.RedisBlip),
        new MalformedMessagesScenario(),
        new CountdownScenario(),
        new StartWhileDownScenario("start-no-redis", broker: false),
        new StartWhileDownScenario("start-no-broker", broker: true),
        new ClusterNodeLossScenario(),
        new ChordScenario("cluster-chord", ChordFault.NodeLoss),
        new ClusterPublishScenario(),
    ];

    /// <summary>Runs the selected scenarios one after another on the given servers; a scenario that throws gets a row saying so.</summary>
    public static async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var outcomes = new List<FaultOutcome>();
        foreach (var scenario in Scenarios.Where(s => run.Options.Only is null || run.Options.Only.Contains(s.Id)))
        {
            await run.Log.WriteLineAsync($"{scenario.Id} ...").ConfigureAwait(false);
            try
            {
                outcomes.AddRange(await scenario.RunAsync(run, cancellationToken).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or the script's time limit: report what ran; the scenario's disposal stopped its workers.
                outcomes.Add(FaultOutcome.Unfinished(scenario.Id, "stopped (Ctrl+C or time limit)"));
                break;
            }
            catch (Exception ex)
            {
                await run.Log.WriteLineAsync($"{scenario.Id} failed: {ex}").ConfigureAwait(false);
                outcomes.Add(FaultOutcome.Unfinished(scenario.Id, $"the scenario itself failed: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}"));
            }
        }

        return outcomes;
    }
}
