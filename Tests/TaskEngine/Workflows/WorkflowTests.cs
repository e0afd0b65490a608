using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.Workflows;

/// <summary>Chains, groups, chords, callbacks, map/starmap/chunks, compensation and status on the real broker and Redis.</summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkflowTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static TaskSignature Add(params object?[] args) => Signature.Create(DiagnosticTasks.Add, args);

    private static string NewId() => Guid.CreateVersion7().ToString();

    private static Task<EngineTestHost> StartAsync(BrokerFixture fixture, WorkflowRecorder? recorder = null, int concurrency = 2) =>
        EngineTestHost.StartAsync(fixture, concurrency: concurrency, tasks: engine => engine
                .AddTask<LabelArgs, CounterHandler>("tests.counter")
                .AddTask<CollectArgs, CollectHandler>("tests.collect")
                .AddTask<LabelArgs, StepHandler>("tests.step")
                .AddTask<LabelArgs, StepHandler>("tests.step_fails", o => o.MaxRetries = 0)
                .AddTask<CompensateArgs, CompensateHandler>("tests.compensate")
                .AddTask<NoArgs, GateHandler>("tests.gate")
                .AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
                {
                    o.MaxRetries = 3;
                    o.RetryOnException<TransientException>();
                    o.RetryBackoff = TimeSpan.FromMilliseconds(200);
                    o.RetryBackoffMax = TimeSpan.FromMilliseconds(400);
                    o.RetryJitter = false;
                }),
            services: s => s.AddSingleton(recorder ?? new WorkflowRecorder()).AddSingleton(new Recorder()).AddSingleton(new Gate()));

    // As a redelivery, or a publish retried after its channel closed, would carry it.
    private static PlannedMessage MarkedPossibleDuplicate(PlannedMessage message) => message with
    {
        Options = message.Options with
        {
            Headers = new Dictionary<string, JsonElement> { [RabbitMqBroker.PossibleDuplicateHeader] = JsonSerializer.SerializeToElement(true) },
        },
    };

    // A task stores its result after sending its children (as Celery does), so they can finish before it is stored.
    private static async Task<string> StoredMetaAsync(EngineTestHost host, string taskId)
    {
        string? meta = null;
        await Eventually.UntilAsync(async () => (meta = (string?)await host.Redis.StringGetAsync("celery-task-meta-" + taskId)) is not null, Wait, Token);
        return meta!;
    }

    private static IWorkflowClient Workflows(EngineTestHost host) => host.Services.GetRequiredService<IWorkflowClient>();

    [Fact]
    public async Task ApplyAsync_PassesEachResultToTheNextStep_WhenChainOfThree()
    {
        await using var host = await StartAsync(fixture);

        var result = await Workflows(host).ApplyAsync(Chain.Of(Add(1, 2), Add(3), Add(4)), Token);

        Assert.Equal(10, (await result.GetAsync(Wait, Token)).GetInt32());
        var first = result.Parent!.Parent!;
        Assert.Null(first.Parent);
        Assert.Equal(first.Id, result.RootId);
        var meta = await StoredMetaAsync(host, first.Id);
        Assert.Contains($"\"children\":[[[\"{result.Parent.Id}\",null],null]]", meta, StringComparison.Ordinal);
        var last = await host.Client.GetResult(result.Id).GetMetaAsync(Token);
        Assert.Equal(result.Parent.Id, last!.ParentId);
    }

    [Fact]
    public async Task GetAsync_RaisesTheParentsFailure_WhenAMiddleChainStepFails()
    {
        await using var host = await StartAsync(fixture);
        var failing = Signature.Create(DiagnosticTasks.Fail, "card declined").Immutable();

        var result = await Workflows(host).ApplyAsync(Chain.Of(Add(1, 2), failing, Add(4)), Token);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(result.Parent!.Id, error.TaskId);
        Assert.Contains("card declined", error.ExcMessage, StringComparison.Ordinal);
        Assert.Equal(TaskState.Pending, await result.GetStateAsync(Token));
    }

    [Fact]
    public async Task ApplyAsync_ReturnsResultsInOrder_AndRestoresTheSavedGroup_WhenGroup()
    {
        await using var host = await StartAsync(fixture);

        var result = await Workflows(host).ApplyAsync(
            Group.Of(Signature.Create(DiagnosticTasks.Sleep, 0.3), Add(2, 2), Add(3, 3)), Token);

        var group = Assert.IsType<GroupResult>(result);
        var values = await group.GetResultsAsync(Wait, Token);
        Assert.Equal([0.3, 4, 6], values.Select(v => v.GetDouble()));
        await group.SaveAsync(Token);
        var stored = (string?)await host.Redis.StringGetAsync("celery-taskset-meta-" + group.Id);
        Assert.StartsWith($"{{\"result\":[[\"{group.Id}\",null],[[[\"{group.Children[0].Id}\",null],null]", stored);
        var restored = await Workflows(host).RestoreGroupAsync(group.Id, Token);
        Assert.Equal(group.Children.Select(c => c.Id), restored!.Children.Select(c => c.Id));
        Assert.Equal("[0.3,4,6]", (await restored.GetAsync(Wait, Token)).GetRawText());
    }

    [Fact]
    public async Task ApplyAsync_CallsTheBodyWithResultsInHeaderOrder_WhenChord()
    {
        await using var host = await StartAsync(fixture);
        var chord = Chord.Of([Signature.Create(DiagnosticTasks.Sleep, 0.4), Add(2, 2), Add(3, 3)], Signature.Create(DiagnosticTasks.Echo));

        var result = await Workflows(host).ApplyAsync(chord, Token);

        Assert.Equal("[0.4,4,6]", (await result.GetAsync(Wait, Token)).GetRawText());
        var header = Assert.IsType<GroupResult>(result.Parent);
        // Deleted once the body is out (the body may finish first).
        await Eventually.UntilAsync(
            async () => !await host.Redis.KeyExistsAsync($"celery-taskset-meta-{header.Id}.j")
                && !await host.Redis.KeyExistsAsync($"celery-taskset-meta-{header.Id}.s"),
            Wait, Token);
    }

    [Fact]
    public async Task ApplyAsync_StoresChordErrorNamingThePart_AndCallsBodyErrbacks_WhenAHeaderPartFails()
    {
        await using var host = await StartAsync(fixture);
        var errbackId = NewId();
        var body = Signature.Create(DiagnosticTasks.Xsum).OnError(Signature.Create(DiagnosticTasks.Echo).WithTaskId(errbackId));
        var chord = Chord.Of([Add(1, 1), Signature.Create(DiagnosticTasks.Fail, "boom")], body);

        var result = await Workflows(host).ApplyAsync(chord, Token);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(result.Id).GetAsync(Wait, Token));
        var failedPart = ((GroupResult)result.Parent!).Children[1].Id;
        Assert.Equal("ChordError", error.ExcType);
        Assert.Equal($"Dependency {failedPart} raised InvalidOperationException('boom')", error.ExcMessage);
        Assert.Equal(result.Id, (await host.Client.GetResult(errbackId).GetAsync(Wait, Token)).GetString());
        var raised = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(failedPart, raised.TaskId);
    }

    [Fact]
    public async Task ApplyAsync_RunsTheBodyChain_WhenChordBodyIsAChain()
    {
        await using var host = await StartAsync(fixture);

        var result = await Workflows(host).ApplyAsync(
            Chord.Of([Add(1, 1), Add(2, 2)], Chain.Of(Signature.Create(DiagnosticTasks.Xsum), Add(10))), Token);

        Assert.Equal(16, (await result.GetAsync(Wait, Token)).GetInt32());
    }

    [Fact]
    public async Task ApplyAsync_ReturnsEachChainsResult_WhenGroupOfChains()
    {
        await using var host = await StartAsync(fixture);

        var result = await Workflows(host).ApplyAsync(Group.Of(Chain.Of(Add(1, 1), Add(1)), Chain.Of(Add(2, 2), Add(2))), Token);

        Assert.Equal("[3,6]", (await result.GetAsync(Wait, Token)).GetRawText());
    }

    [Fact]
    public async Task ApplyAsync_RunsTheOnboardingShape_WhenChainThenGroupThenFinalize()
    {
        await using var host = await StartAsync(fixture);
        var flow = Chain.Of(
            Add(1, 1), Add(1), Add(1),
            Group.Of(Add(10), Add(20), Add(30), Add(40)),
            Signature.Create(DiagnosticTasks.Xsum));

        var result = await Workflows(host).ApplyAsync(flow, Token);

        Assert.Equal(4 * 4 + 100, (await result.GetAsync(Wait, Token)).GetInt32());
    }

    [Fact]
    public async Task ApplyAsync_CallsLinkWithTheResult_AndLinkErrorWithTheFailedId()
    {
        await using var host = await StartAsync(fixture);
        var callbackId = NewId();
        var errbackId = NewId();

        var ok = await Workflows(host).ApplyAsync(Add(1, 2).Link(Signature.Create(DiagnosticTasks.Echo).WithTaskId(callbackId)), Token);
        var failed = await Workflows(host).ApplyAsync(
            Signature.Create(DiagnosticTasks.Fail, "no").OnError(Signature.Create(DiagnosticTasks.Echo).WithTaskId(errbackId)), Token);

        Assert.Equal(3, (await host.Client.GetResult(callbackId).GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(failed.Id, (await host.Client.GetResult(errbackId).GetAsync(Wait, Token)).GetString());
        var meta = await StoredMetaAsync(host, ok.Id);
        Assert.Contains(callbackId, meta, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApplyAsync_RunsBuiltInMapStarmapAndChunks()
    {
        await using var host = await StartAsync(fixture);
        var client = Workflows(host);

        var map = await client.ApplyAsync(Map.Of(Signature.Create(DiagnosticTasks.Echo), 1, "two", 3), Token);
        var starmap = await client.ApplyAsync(Starmap.Of(Add(), [1, 2], [3, 4]), Token);
        var chunks = await client.ApplyAsync(Chunks.Of(Add(), 2, [1, 1], [2, 2], [3, 3]), Token);

        Assert.Equal("""[1,"two",3]""", (await map.GetAsync(Wait, Token)).GetRawText());
        Assert.Equal("[3,7]", (await starmap.GetAsync(Wait, Token)).GetRawText());
        Assert.Equal("[[2,4],[6]]", (await chunks.GetAsync(Wait, Token)).GetRawText());
    }

    [Fact]
    public async Task ChordBody_RunsOnceWithEveryPart_WhenAHeaderPartRunsTwiceWithADifferentResult()
    {
        var recorder = new WorkflowRecorder();
        await using var host = await StartAsync(fixture, recorder, concurrency: 1);
        var planner = new CanvasPlanner();
        var chord = Chord.Of([Signature.Create("tests.counter", "a"), Signature.Create("tests.counter", "b")], Signature.Create("tests.collect"));
        var plan = planner.Plan(chord);
        var publisher = host.Services.GetRequiredService<WorkflowPublisher>();
        var partA = plan.Messages[0];

        // a, a again (as after a crash before the ack: it returns "a#2" this time), then b.
        await publisher.PublishAsync(plan with { Messages = [partA] }, partA.TaskId, null, Token);
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [partA] }, partA.TaskId, null, Token);
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [plan.Messages[1]] }, partA.TaskId, null, Token);
        var body = host.Client.GetResult(plan.Result!.Id);

        Assert.Equal("""["a#1","b#1"]""", (await body.GetAsync(Wait, Token)).GetRawText());
        // Run a twice more after the body fired, then a task behind it on the single slot: no second body.
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [partA] }, partA.TaskId, null, Token);
        await (await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
        Assert.Equal(3, recorder.Count("counter:a"));
        Assert.Equal(1, recorder.Count("collect:"));
    }

    [Fact]
    public async Task ChordBody_IsSentByTheFiringPartRedelivered_WhenItsWorkerStoppedBeforeSendingIt()
    {
        var recorder = new WorkflowRecorder();
        await using var host = await StartAsync(fixture, recorder, concurrency: 1);
        var chord = Chord.Of([Signature.Create("tests.counter", "a"), Signature.Create("tests.counter", "b")], Signature.Create("tests.collect"));
        var plan = new CanvasPlanner().Plan(chord);
        var publisher = host.Services.GetRequiredService<WorkflowPublisher>();
        var store = host.Services.GetRequiredService<IWorkflowStore>();
        var (partA, partB) = (plan.Messages[0], plan.Messages[1]);
        var groupId = partA.GroupId!;
        var body = host.Client.GetResult(plan.Result!.Id);

        // a returns normally; b completed the chord and took the fired flag, then its worker died.
        await publisher.PublishAsync(plan with { Messages = [partA] }, partA.TaskId, null, Token);
        await Eventually.UntilAsync(async () => await host.Redis.SortedSetLengthAsync($"celery-taskset-meta-{groupId}.j") == 1, Wait, Token);
        await store.AddChordPartAsync(groupId, 1, $"[1, \"{partB.TaskId}\", \"SUCCESS\", \"b#0\"]", partB.TaskId, Token);
        Assert.True(await store.TryTakeFiredAsync(groupId, partB.TaskId, Token));

        // A plain second copy of b does not send the body (it may be a duplicate publish, not b's own redelivery)...
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [partB] }, partA.TaskId, null, Token);
        await (await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
        Assert.Equal(0, recorder.Count("collect:"));

        // ... b redelivered does, once.
        var redelivered = MarkedPossibleDuplicate(partB);
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [redelivered] }, partA.TaskId, null, Token);
        Assert.Equal("""["a#1","b#0"]""", (await body.GetAsync(Wait, Token)).GetRawText());
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [redelivered] }, partA.TaskId, null, Token);
        await (await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
        Assert.Equal(1, recorder.Count("collect:"));
    }

    [Fact]
    public async Task ChainStep_RunsAndSendsItsNextStepOnce_WhenACopyMarkedPossibleDuplicateArrivesAgain()
    {
        var recorder = new WorkflowRecorder();
        await using var host = await StartAsync(fixture, recorder, concurrency: 1);
        var plan = new CanvasPlanner().Plan(Chain.Of(Signature.Create("tests.counter", "first"), Signature.Create("tests.counter", "second").Immutable()));
        var publisher = host.Services.GetRequiredService<WorkflowPublisher>();
        var first = plan.Messages[0];
        // As a publish retried after its channel closed sends it (the broker may hold the first attempt too).
        var marked = MarkedPossibleDuplicate(first);

        // The mark alone does not stop a message nobody ran yet.
        await publisher.PublishAsync(plan with { Messages = [marked] }, first.TaskId, null, Token);
        Assert.Equal("second#1", (await host.Client.GetResult(plan.Result!.Id).GetAsync(Wait, Token)).GetString());

        // A second copy finds its SUCCESS: neither it nor its next step runs again (a task behind it on the single slot
        // shows it was taken).
        await publisher.PublishAsync(PublishPlan.Empty with { Messages = [marked] }, first.TaskId, null, Token);
        await (await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
        Assert.Equal(1, recorder.Count("counter:first"));
        Assert.Equal(1, recorder.Count("counter:second"));
    }

    [Fact]
    public async Task ChordBodyGetAsync_ThrowsForTheFailedPart_WhileAnotherPartStillRuns()
    {
        // The body cannot fail before every part is back: the failure comes from GetAsync's poll of the header.
        await using var host = await StartAsync(fixture);
        var gate = host.Services.GetRequiredService<Gate>();
        var failedId = NewId();
        Signature[] header =
        [
            Add(1, 1),
            Signature.Create("tests.gate"),
            Signature.Create(DiagnosticTasks.Fail, "part broke").WithTaskId(failedId),
        ];
        try
        {
            var result = await Workflows(host).ApplyAsync(Chord.Of(header, Signature.Create("tests.collect")), Token);

            var error = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
            Assert.Equal(failedId, error.TaskId);
            Assert.Equal(TaskState.Pending, await result.GetStateAsync(Token));
        }
        finally
        {
            gate.Release.TrySetResult();
        }
    }

    [Fact]
    public async Task FailingStep_RunsCompensationsOfCompletedStepsNewestFirst_WhenChainStepFails()
    {
        var recorder = new WorkflowRecorder();
        await using var host = await StartAsync(fixture, recorder);
        var releaseId = NewId();
        var flow = Chain.Of(
            Signature.Create("tests.step", "reserve").WithCompensation(Signature.Create("tests.compensate", "release").WithTaskId(releaseId)),
            Signature.Create("tests.step", "hold").Immutable().WithCompensation(Signature.Create("tests.compensate", "unhold")),
            Signature.Create(DiagnosticTasks.Fail, "charge declined").Immutable(),
            Signature.Create("tests.step", "ship").Immutable());

        var result = await Workflows(host).ApplyAsync(flow, Token);

        var error = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("undone release", (await host.Client.GetResult(releaseId).GetAsync(Wait, Token)).GetString());
        var compensations = recorder.Calls.Where(call => call.StartsWith("compensate:", StringComparison.Ordinal)).ToList();
        Assert.Equal([$"compensate:unhold:hold-ok:{error.TaskId}", $"compensate:release:reserve-ok:{error.TaskId}"], compensations);
        Assert.DoesNotContain("step:ship", recorder.Calls);
    }

    [Fact]
    public async Task StatusReader_ReturnsTheTreeWithStatesAndPendingSteps_WhenChainFailedHalfway()
    {
        await using var host = await StartAsync(fixture);
        var flow = Chain.Of(Add(1, 2), Group.Of(Add(10), Add(20)), Signature.Create(DiagnosticTasks.Fail, "stop").Immutable(), Add(5));

        var result = await Workflows(host).ApplyAsync(flow, Token);
        await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));

        var root = await host.Services.GetRequiredService<IWorkflowStatusReader>().GetAsync(result.RootId, Token);
        Assert.NotNull(root);
        Assert.Equal(DiagnosticTasks.Add, root.Name);
        Assert.Equal(TaskState.Success, root.State);
        Assert.Equal(3, root.Result!.Value.GetInt32());
        var group = Assert.Single(root.Children, c => c.Name == "celery.group");
        Assert.Equal(TaskState.Success, group.State);
        Assert.Equal([13, 23], group.Children.Where(c => c.Name == DiagnosticTasks.Add).Select(c => c.Result!.Value.GetInt32()));
        var failed = Flatten(root).Single(n => n.Name == DiagnosticTasks.Fail);
        Assert.Equal(TaskState.Failure, failed.State);
        Assert.Equal("stop", failed.Exception!.MessageText);
        var pending = Assert.Single(failed.Children);
        Assert.Equal(result.Id, pending.Id);
        Assert.Equal(TaskState.Pending, pending.State);
    }

    [Fact]
    public async Task RetriedStep_KeepsTheRestOfTheChain_WhenItSucceedsOnARetry()
    {
        await using var host = await StartAsync(fixture);

        var result = await Workflows(host).ApplyAsync(Chain.Of(Signature.Create("tests.flaky", 1), Add(100)), Token);

        Assert.Equal(101, (await result.GetAsync(Wait, Token)).GetInt32());
    }

    [Fact]
    public async Task BuiltInChordAndGroupTasks_ApplyTheCanvas_WhenSentAsTasks()
    {
        await using var host = await StartAsync(fixture);
        var bodyId = NewId();
        var memberId = NewId();
        var groupId = NewId();

        await host.Client.SendAsync(WorkflowTasks.ChordTask, kwargs: new Dictionary<string, JsonElement>
        {
            ["header"] = Json(Group.Of(Add(1, 1), Add(2, 2)).ToJson()),
            ["body"] = Json(Signature.Create(DiagnosticTasks.Xsum).WithTaskId(bodyId).ToJson()),
        }, cancellationToken: Token);
        var group = await host.Client.SendAsync(WorkflowTasks.GroupTask, kwargs: new Dictionary<string, JsonElement>
        {
            ["tasks"] = Json($"[{Add(5).WithTaskId(memberId).ToJson()}]"),
            ["group_id"] = Json($"\"{groupId}\""),
            ["partial_args"] = Json("[5]"),
        }, cancellationToken: Token);

        Assert.Equal(6, (await host.Client.GetResult(bodyId).GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(10, (await host.Client.GetResult(memberId).GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(groupId, (await group.GetAsync(Wait, Token)).GetString());
        Assert.Equal(groupId, (await host.Client.GetResult(memberId).GetMetaAsync(Token))!.GroupId);
    }

    private static IEnumerable<WorkflowNode> Flatten(WorkflowNode node) => [node, .. node.Children.SelectMany(Flatten)];

    internal static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
