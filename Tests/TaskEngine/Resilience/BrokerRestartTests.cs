using System.Collections.Concurrent;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.Resilience;

/// <summary>RabbitMQ restarted while a client publishes and a worker consumes.</summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerRestartTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Engine_LosesNoConfirmedTaskAndResumesConsuming_WhenTheBrokerRestartsUnderLoad()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 4);
        var confirmed = new ConcurrentQueue<TaskResult>();
        var refused = 0;
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var load = Task.Run(async () =>
        {
            // A steady 200 sends a second: enough to be mid-publish when the broker goes away.
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
            while (await pace.WaitForNextTickAsync(stopLoad.Token).ConfigureAwait(false))
            {
                try
                {
                    confirmed.Enqueue(await host.Client.SendAsync(DiagnosticTasks.Noop, cancellationToken: stopLoad.Token).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A send the broker could not confirm fails loudly; the caller knows it was not accepted.
                    Interlocked.Increment(ref refused);
                }
            }
        }, Token);

        await Eventually.UntilAsync(() => confirmed.Count >= 50, Wait, Token);
        await fixture.RestartRabbitMqAsync(Token);
        var afterRestart = confirmed.Count;
        await Eventually.UntilAsync(() => confirmed.Count >= afterRestart + 50, Wait, Token);
        await stopLoad.CancelAsync();
        await load.ContinueWith(static _ => { }, TaskScheduler.Default);

        foreach (var result in confirmed)
        {
            Assert.Equal(TaskState.Success, await WaitForSuccessAsync(result));
        }

        Assert.True(confirmed.Count > 100, $"{confirmed.Count} confirmed, {refused} refused");
    }

    private static async Task<TaskState> WaitForSuccessAsync(TaskResult result)
    {
        await result.GetAsync(TimeSpan.FromSeconds(60), Token);
        return await result.GetStateAsync(Token);
    }
}
