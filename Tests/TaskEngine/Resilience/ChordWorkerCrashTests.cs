using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.Resilience;

/// <summary>
/// A chord whose header is half done when its worker process is SIGKILLed: the parts it held come back (some already
/// stored SUCCESS without their ack), another worker finishes them, and the body is sent exactly once.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ChordWorkerCrashTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChordBody_IsSentOnce_WhenTheWorkerIsKilledMidHeader()
    {
        await using var client = await EngineTestHost.StartAsync(fixture, worker: false);
        // The body goes to a queue nobody consumes: its message count is the number of times it was sent.
        var bodyQueue = client.Queue + ".body";
        // Declared by the engine, as the workers declare it (a different declaration would fail the body's publish).
        await client.Services.GetRequiredService<RabbitMqBroker>().EnsureQueueAsync(bodyQueue, Token);

        var header = Enumerable.Range(0, 12).Select(_ => (Signature)Signature.Create(DiagnosticTasks.Sleep, 0.3)).ToArray();
        var body = Signature.Create(DiagnosticTasks.Noop).WithOptions(options => options with { Queue = bodyQueue });
        var workflows = client.Services.GetRequiredService<IWorkflowClient>();

        var chord = await workflows.ApplyAsync(Chord.Of(header, body), Token);
        var parts = ((GroupResult)chord.Parent!).Children;

        await using (var first = WorkerProcess.Start(fixture, client.Queue, concurrency: 4))
        {
            // Killed with parts done, parts running and parts prefetched.
            await Eventually.UntilAsync(async () => await SucceededAsync(parts) >= 3, Wait, Token);
            await first.KillAsync();
        }

        Assert.True(await SucceededAsync(parts) < parts.Count, "the worker finished the header before it was killed");
        await using var second = WorkerProcess.Start(fixture, client.Queue, concurrency: 4);
        await Eventually.UntilAsync(async () => await SucceededAsync(parts) == parts.Count, Wait, Token);
        await Eventually.UntilAsync(async () => await client.MessageCountAsync(bodyQueue) >= 1, Wait, Token);
        // Every redelivered part has been taken and returned by now (nothing is left in the header's queue).
        await Eventually.UntilAsync(async () => await client.MessageCountAsync(client.Queue) == 0, Wait, Token);
        await Task.Delay(TimeSpan.FromSeconds(1), Token);

        Assert.Equal(1u, await client.MessageCountAsync(bodyQueue));
        await using var cleanup = await client.Connection.CreateChannelAsync(cancellationToken: Token);
        await cleanup.QueueDeleteAsync(bodyQueue, ifUnused: false, ifEmpty: false, cancellationToken: Token);
    }

    private static async Task<int> SucceededAsync(IReadOnlyList<WorkflowResult> parts)
    {
        var states = await Task.WhenAll(parts.Select(part => part.GetStateAsync(Token)));
        return states.Count(state => state == TaskState.Success);
    }
}
