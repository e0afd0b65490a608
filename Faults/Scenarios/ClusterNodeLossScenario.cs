using Onboarding.TaskEngine.DependencyInjection;

namespace Onboarding.Faults.Scenarios;

/// <summary>
/// A three-node cluster of its own (the AppHost's <c>Infrastructure:RabbitMQNodes=3</c>) with quorum queues: under
/// load, the node leading the scenario's queue is SIGKILLed, left down for a while, and started again. Workers and the
/// Python sender have every node in their connection string. Time to recover: from the kill until a task finishes
/// again that was delivered after the loss, on the remaining majority.
/// </summary>
internal sealed class ClusterNodeLossScenario : IFaultScenario
{
    public string Id => "cluster-node-loss";

    public async Task<IReadOnlyList<FaultOutcome>> RunAsync(FaultRun run, CancellationToken cancellationToken)
    {
        var down = run.Options.Pick(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(5));
        var tasks = run.Options.Pick(20_000, 2_000);
        await run.Log.WriteLineAsync("  cluster-node-loss: starting a three-node cluster").ConfigureAwait(false);
        await using var cluster = await FaultServers.StartAsync(run.Log, cancellationToken, rabbitMQNodes: 3).ConfigureAwait(false);
        var name = $"queue leader SIGKILLed, {down.TotalSeconds:0} s down, 3-node cluster, quorum queues, {tasks:N0} tasks";
        var outcome = await LoadScenario.RunAsync(run with { Servers = cluster }, Id, name, tasks, 0.03, 0.2,
            async (context, monitor, _, ct) =>
            {
                var leader = await cluster.QueueLeaderAsync(context.Queue, ct).ConfigureAwait(false);
                await context.WriteAsync($"killing {leader.Name}, the leader of {context.Queue}").ConfigureAwait(false);
                var killedAt = DateTimeOffset.UtcNow;
                FaultServers.KillNode(leader);
                // Tasks the workers held when the node died may finish at once; one more than they can hold was delivered
                // after the loss, by the remaining majority.
                var held = LoadScenario.Workers * context.Setup.Concurrency * new TaskWorkerOptions().PrefetchMultiplier;
                var recover = await monitor.WaitForCompletionsAfterAsync(killedAt, held + 1, TimeSpan.FromMinutes(3), ct).ConfigureAwait(false);
                await context.WriteAsync($"tasks complete again after {(recover is { } r ? LoadScenario.Seconds(r) : "never")}").ConfigureAwait(false);
                var downFor = killedAt + down - DateTimeOffset.UtcNow;
                if (downFor > TimeSpan.Zero)
                {
                    await Task.Delay(downFor, ct).ConfigureAwait(false);
                }

                var rejoin = await cluster.StartNodeAsync(leader, ct).ConfigureAwait(false);
                await context.WriteAsync($"{leader.Name} back in the cluster {LoadScenario.Seconds(rejoin)} after its start").ConfigureAwait(false);
                return (recover, $"{leader.Name} (the queue's leader) down {LoadScenario.Seconds(DateTimeOffset.UtcNow - killedAt - rejoin)}, rejoined the cluster {LoadScenario.Seconds(rejoin)} after its start");
            }, cancellationToken).ConfigureAwait(false);
        return [outcome];
    }
}
