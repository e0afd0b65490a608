using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;
using Onboarding.Tests.TaskEngine.Workflows;

namespace Onboarding.Tests.Interop;

/// <summary>
/// Canvases across runtimes with real Celery 5.2.6: Python-built workflows on our workers, ours on a Python worker,
/// and one chord whose header runs on both.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CanvasInteropTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Dictionary<string, string> PythonEnvironment(string defaultQueue) =>
        new(PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString))
        {
            ["INTEROP_DEFAULT_QUEUE"] = defaultQueue,
        };

    private static TaskSignature Add(params object?[] args) => Signature.Create(DiagnosticTasks.Add, args);

    [Fact]
    public async Task PythonBuiltCanvases_RunOnOurWorkers_AndPythonReadsTheResults()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 4);

        var outcome = await PythonCelery.RunScriptAsync(PythonEnvironment(host.Queue), "send_canvas.py", Token);

        Assert.Equal("""{"result": 10}""", outcome.GetProperty("chain").GetRawText());
        Assert.Equal("""{"result": 12}""", outcome.GetProperty("chord").GetRawText());
        Assert.Equal("""{"result": 34}""", outcome.GetProperty("chain_with_chord").GetRawText());
        Assert.Equal("""{"result": 42}""", outcome.GetProperty("link").GetRawText());
        Assert.Equal("""{"result": true}""", outcome.GetProperty("link_error").GetRawText());
        Assert.Equal("""{"result": [1, "two", 3]}""", outcome.GetProperty("map").GetRawText());
        Assert.Equal("""{"result": [3, 7]}""", outcome.GetProperty("starmap").GetRawText());
        Assert.Equal("""{"result": [[2, 4], [6]]}""", outcome.GetProperty("chunks").GetRawText());
    }

    [Fact]
    public async Task OurChainAndChord_RunOnAPythonWorker()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment(host.Queue), host.Queue, Token);
        var workflows = host.Services.GetRequiredService<IWorkflowClient>();

        var chain = await workflows.ApplyAsync(Chain.Of(Add(1, 2), Add(3), Add(4)), Token);
        var chord = await workflows.ApplyAsync(Chord.Of([Add(1, 1), Add(2, 2), Add(3, 3)], Signature.Create(DiagnosticTasks.Xsum)), Token);
        var bodyChain = await workflows.ApplyAsync(
            Chord.Of([Add(1, 1), Add(2, 2)], Chain.Of(Signature.Create(DiagnosticTasks.Xsum), Add(100))), Token);

        Assert.Equal(10, (await chain.GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(12, (await chord.GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(106, (await bodyChain.GetAsync(Wait, Token)).GetInt32());
    }

    [Fact]
    public async Task ChordBody_FiresOnce_WhenHeaderPartsRunOnPythonAndOurWorkers()
    {
        var recorder = new WorkflowRecorder();
        var pythonQueue = "py." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 1, tasks: e =>
                e.AddTask<CollectArgs, CollectHandler>("tests.collect"),
            services: s => s.AddSingleton(recorder));
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment(host.Queue), pythonQueue, Token);
        var onPython = new SignatureOptions { Queue = pythonQueue };
        var header = new Signature[]
        {
            Add(1, 1).WithOptions(onPython), Add(2, 2), Add(3, 3).WithOptions(onPython), Add(4, 4),
            Signature.Create(DiagnosticTasks.Sleep, 0.2).WithOptions(onPython), Signature.Create(DiagnosticTasks.Sleep, 0.1),
        };

        var result = await host.Services.GetRequiredService<IWorkflowClient>().ApplyAsync(
            Chord.Of(header, Signature.Create("tests.collect")), Token);

        Assert.Equal("[2,4,6,8,0.2,0.1]", (await result.GetAsync(Wait, Token)).GetRawText());
        await (await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
        Assert.Equal(1, recorder.Count("collect:"));
        var groupId = result.Parent!.Id;
        // Whichever side fired deletes the chord's keys once the body is out.
        await Eventually.UntilAsync(async () => !await host.Redis.KeyExistsAsync($"celery-taskset-meta-{groupId}.j"), Wait, Token);
    }
}
