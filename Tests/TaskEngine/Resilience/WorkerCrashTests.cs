using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.Resilience;

/// <summary>A worker process killed with SIGKILL mid-task: acks-late means the broker still owns every task it held.</summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerCrashTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task KilledWorker_LosesNoTask_WhenAnotherWorkerTakesOver()
    {
        await using var client = await EngineTestHost.StartAsync(fixture, worker: false);
        var sleep = JsonDocument.Parse("2").RootElement;
        var results = new List<TaskResult>();
        for (var i = 0; i < 4; i++)
        {
            results.Add(await client.Client.SendAsync(DiagnosticTasks.Sleep, [sleep], cancellationToken: Token));
        }

        await using (var first = WorkerProcess.Start(fixture, client.Queue, concurrency: 2))
        {
            // The worker holds all four (two running, two prefetched) once none is ready in the queue.
            await Eventually.UntilAsync(async () => await client.MessageCountAsync(client.Queue) == 0, Wait, Token);
            Assert.All(
                await Task.WhenAll(results.Select(r => r.GetStateAsync(Token))),
                state => Assert.NotEqual(TaskState.Success, state));

            await first.KillAsync();
        }

        // The broker noticed the dead connection and put every unacked task back.
        await Eventually.UntilAsync(async () => await client.MessageCountAsync(client.Queue) == 4, Wait, Token);

        await using var second = WorkerProcess.Start(fixture, client.Queue, concurrency: 4);
        foreach (var result in results)
        {
            Assert.Equal(2, (await result.GetAsync(TimeSpan.FromSeconds(60), Token)).GetInt32());
        }
    }
}
