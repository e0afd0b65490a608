namespace Onboarding.Faults.Scenarios;

/// <summary>
/// The broker (<c>rabbitmqctl stop_app</c> … <c>start_app</c>) or Redis (stopped and started again; its append-only
/// file keeps stored results) away for a while under load. Time to recover: from the server's return until a task
/// finishes again (its stored date_done).
/// </summary>
internal sealed class ServerStopScenario(string id, bool broker, TimeSpan full, TimeSpan quick) : IFaultScenario
{
    public string Id => id;

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var outage = run.Options.Pick(full, quick);
        var server = broker ? "broker" : "Redis";
        // Enough load to outlast the outage: two workers finish about 400 of these a second here.
        var tasks = run.Options.Pick(broker ? 10_000 : 8_000, 2_000);
        var name = $"{server} stopped {outage.TotalSeconds:0.#} s, {tasks:N0} tasks";
        var outcome = await LoadScenario.RunAsync(run, Id, name, tasks, 0.03, 0.2,
            async (context, monitor, _, ct) =>
            {
                await context.WriteAsync($"stopping {server} for {LoadScenario.Seconds(outage)}").ConfigureAwait(false);
                var away = System.Diagnostics.Stopwatch.StartNew();
                if (broker)
                {
                    await run.Servers.StopBrokerAsync(ct).ConfigureAwait(false);
                    await Task.Delay(outage, ct).ConfigureAwait(false);
                    await run.Servers.StartBrokerAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    await run.Servers.StopRedisAsync(ct).ConfigureAwait(false);
                    await Task.Delay(outage, ct).ConfigureAwait(false);
                    await run.Servers.StartRedisAsync(ct).ConfigureAwait(false);
                }

                var back = DateTimeOffset.UtcNow;
                var notes = $"{server} unavailable {LoadScenario.Seconds(away.Elapsed)} in all (its stop and start included)";
                var recover = await monitor.WaitForCompletionAfterAsync(back, TimeSpan.FromMinutes(3), ct).ConfigureAwait(false);
                await context.WriteAsync($"{server} back; tasks complete again after {(recover is { } r ? LoadScenario.Seconds(r) : "never")}").ConfigureAwait(false);
                return (recover, notes);
            }, cancellationToken).ConfigureAwait(false);
        return [outcome];
    }
}
