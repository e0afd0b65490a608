using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Integration;

[Collection(BrokerCollection.Name)]
public sealed class EngineFeaturesTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_PropagatesTraceToWorkerSpan_WhenListening()
    {
        var activities = new ConcurrentQueue<Activity>();
        var id = Guid.CreateVersion7().ToString();
        var processStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TaskEngineDiagnostics.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                activities.Enqueue(activity);
                if (activity.OperationName == "diagnostics.ping process" && Equals(activity.GetTagItem("messaging.message.id"), id))
                {
                    processStopped.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, options: new TaskSendOptions { TaskId = id }, cancellationToken: Token);
        await result.GetAsync(Wait, Token);
        // The worker's span ends after the result is stored, so it can stop just after GetAsync returns.
        await processStopped.Task.WaitAsync(Wait, Token);

        var publish = Assert.Single(activities, a => a.OperationName == "diagnostics.ping publish" && Equals(a.GetTagItem("messaging.message.id"), result.Id));
        var process = Assert.Single(activities, a => a.OperationName == "diagnostics.ping process" && Equals(a.GetTagItem("messaging.message.id"), result.Id));
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(publish.TraceId, process.TraceId);
        // RabbitMQ.Client's own publish span sits between ours and the worker's when its source is listened to.
        Assert.NotEqual(default, process.ParentSpanId);
        Assert.Equal(host.Queue, process.GetTagItem("messaging.destination.name"));
    }

    [Fact]
    public async Task Worker_SpacesRuns_WhenTaskIsRateLimited()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 4, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.limited", o => o.RateLimit = "4/s"));
        var stopwatch = Stopwatch.StartNew();

        var results = new List<TaskResult>();
        for (var i = 0; i < 6; i++)
        {
            results.Add(await host.Client.SendAsync("tests.limited", new FlakyArgs(0), cancellationToken: Token));
        }

        foreach (var result in results)
        {
            await result.GetAsync(Wait, Token);
        }

        // A bucket of 4 tokens refilled at 4/s: the 5th and 6th runs wait for ≥ 250 ms and 500 ms of refill.
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(450), $"all ran within {stopwatch.Elapsed}");
        Assert.Equal(6, recorder.Runs.Count);
    }

    [Fact]
    public async Task SendAsync_ReopensPublishChannel_WhenChannelWasClosed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var broker = host.Services.GetRequiredService<RabbitMqBroker>();
        await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        await broker.CloseChannelForTestsAsync();
        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
    }

    [Fact]
    public async Task SendAsync_FailsLoudly_WhenPublishIsNotConfirmed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        var broker = host.Services.GetRequiredService<RabbitMqBroker>();

        // Unroutable with mandatory=true: the broker returns it and the publish must throw, not succeed silently.
        await Assert.ThrowsAnyAsync<Exception>(() => broker.PublishRawAsync(
            "no.such.queue." + Guid.CreateVersion7(), new BasicProperties(), "[]"u8.ToArray(), Token));
    }
}
