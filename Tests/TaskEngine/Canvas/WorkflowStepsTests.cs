using Onboarding.TaskEngine.Canvas;
using static Onboarding.Tests.TaskEngine.Canvas.CanvasTestSupport;

namespace Onboarding.Tests.TaskEngine.Canvas;

public sealed class WorkflowStepsTests
{
    private const string R = ReplyTo;

    private static WorkflowSteps Steps(string prefix = "w") => new(Planner(prefix));

    /// <summary>The first message of a client-planned canvas, as the worker that runs it sees it.</summary>
    private static FinishedTask Received(PublishPlan plan, int index = 0)
    {
        var message = plan.Messages[index];
        // Round-trip the embed through its wire form, as a worker receives it.
        var embed = MessageEmbed.Read(Json(message.BodyJson())[2]);
        return new FinishedTask(message.TaskId, message.RootId, embed);
    }

    [Fact]
    public void OnSuccess_PublishesNextStepWithResultPrepended_WhenEmbedHasChain()
    {
        var client = Planner().Plan(Chain.Of(Signature.Create("tasks.add", 1, 2), Signature.Create("tasks.mul", 10), Signature.Create("tasks.add", 100)));
        var add = Received(client);

        var plan = Steps().OnSuccess(add, Json("3"));

        var mul = Assert.Single(plan.Messages);
        Assert.Equal("tasks.mul", mul.Task);
        Assert.Equal("id-2", mul.TaskId);
        Assert.Equal(add.TaskId, mul.ParentId);
        Assert.Equal(add.TaskId, mul.RootId);
        AssertJson($$$"""
            [[3, 10], {}, {"callbacks": null, "errbacks": null, "chain": [
              {"task": "tasks.add", "args": [100], "kwargs": {}, "options": {"task_id": "id-1", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false}],
             "chord": null}]
            """, mul.BodyJson());
        Assert.Equal("""[[["id-2",null],null]]""", ResultTuple.ChildrenJson(plan.Results));
    }

    [Fact]
    public void OnSuccess_KeepsRootOfWorkflow_WhenFinishedTaskHasRootId()
    {
        var step = new FinishedTask("t-2", "t-1", new MessageEmbed(Chain: [Signature.Create("tasks.next")]));

        var next = Assert.Single(Steps().OnSuccess(step, Json("5")).Messages);

        Assert.Equal("t-2", next.ParentId);
        Assert.Equal("t-1", next.RootId);
        Assert.Equal("[5]", Json(next.BodyJson())[0].GetRawText());
        Assert.Equal("[]", Json(next.BodyJson())[2].GetProperty("chain").GetRawText());
    }

    [Fact]
    public void OnSuccess_DoesNotPrependResult_WhenNextStepIsImmutable()
    {
        var step = new FinishedTask("t-1", null, new MessageEmbed(Chain: [Signature.Create("tasks.next", 7).Immutable()]));

        var next = Assert.Single(Steps().OnSuccess(step, Json("5")).Messages);

        Assert.Equal("[7]", Json(next.BodyJson())[0].GetRawText());
    }

    [Fact]
    public void OnSuccess_MergesKwargsAndKeepsOwnOptions_WhenNextStepHasThem()
    {
        var next = Signature.Create("tasks.next").WithKwarg("scale", 2).WithOptions(new SignatureOptions { Queue = "math", GroupId = "g-own" });
        var step = new FinishedTask("t-1", null, new MessageEmbed(Chain: [next]), Priority: 5);

        var message = Assert.Single(Steps().OnSuccess(step, Json("5")).Messages);

        Assert.Equal("""{"scale":2}""", Json(message.BodyJson())[1].GetRawText());
        Assert.Equal("math", message.Options.Queue);
        Assert.Equal(5, message.Options.Priority);
        Assert.Equal("g-own", message.GroupId);
    }

    [Fact]
    public void OnSuccess_SendsSingleCallbackAsPlainTask_WhenOneCallback()
    {
        var step = new FinishedTask("t-1", null, new MessageEmbed(Callbacks: [Signature.Create("tasks.add", 1)]));

        var callback = Assert.Single(Steps().OnSuccess(step, Json("42")).Messages);

        Assert.Equal("[42,1]", Json(callback.BodyJson())[0].GetRawText());
        Assert.Null(callback.GroupId);
        Assert.Equal("t-1", callback.ParentId);
    }

    [Fact]
    public void OnSuccess_SendsCallbacksAsGroupBeforeChainStep_WhenSeveralCallbacks()
    {
        var step = new FinishedTask(
            "t-1",
            null,
            new MessageEmbed(Callbacks: [Signature.Create("tasks.a"), Signature.Create("tasks.b")], Chain: [Signature.Create("tasks.next")]));

        var plan = Steps().OnSuccess(step, Json("42"));

        Assert.Equal(["tasks.a", "tasks.b", "tasks.next"], plan.Messages.Select(m => m.Task));
        Assert.Equal("w-1", plan.Messages[0].GroupId);
        Assert.Equal("w-1", plan.Messages[1].GroupId);
        Assert.Null(plan.Messages[2].GroupId);
        Assert.All(plan.Messages, m => Assert.Equal("[42]", Json(m.BodyJson())[0].GetRawText()));
    }

    [Fact]
    public void OnFailure_SendsErrbacksAsGroupWithFailedTaskId_WhenEmbedHasErrbacks()
    {
        var client = Planner().Plan(Signature.Create("tasks.fail", 7)
            .OnError(Signature.Create("tasks.on_error_new"))
            .OnError(Signature.Create("tasks.on_error_old")));
        var failed = Received(client);

        var plan = Steps().OnFailure(failed);

        Assert.Equal(2, plan.Messages.Count);
        Assert.All(plan.Messages, m =>
        {
            Assert.Equal("w-1", m.GroupId);
            Assert.Equal(failed.TaskId, m.ParentId);
            Assert.Equal(failed.TaskId, m.RootId);
            Assert.Equal($"""["{failed.TaskId}"]""", Json(m.BodyJson())[0].GetRawText());
        });
    }

    [Fact]
    public void OnFailure_PublishesNothing_WhenNoErrbacks()
    {
        var step = new FinishedTask("t-1", null, new MessageEmbed(Chain: [Signature.Create("tasks.next")]));

        Assert.Empty(Steps().OnFailure(step).Messages);
    }

    [Fact]
    public void OnSuccess_UnrollsChordWithNewGroupIdAndPrependsResult_WhenChainStepIsChord()
    {
        // chain(add.s(1,1), group(add.s(10), add.s(20)), tsum.s()) as the worker that ran add(1,1) continues it.
        var client = Planner().Plan(Chain.Of(
            Signature.Create("tasks.add", 1, 1),
            Group.Of(Signature.Create("tasks.add", 10), Signature.Create("tasks.add", 20)),
            Signature.Create("tasks.tsum")));
        var add = Received(client);

        var plan = Steps().OnSuccess(add, Json("2"));

        var size = Assert.Single(plan.ChordSizes);
        Assert.Equal("w-1", size.GroupId); // a new group id, not the frozen "id-2"
        Assert.Equal(2, size.Size);
        Assert.Equal(2, plan.Messages.Count);
        Assert.Equal(["id-3", "id-4"], plan.Messages.Select(m => m.TaskId));
        Assert.Equal("[2,10]", Json(plan.Messages[0].BodyJson())[0].GetRawText());
        Assert.Equal("[2,20]", Json(plan.Messages[1].BodyJson())[0].GetRawText());
        Assert.All(plan.Messages, m =>
        {
            Assert.Equal("w-1", m.GroupId);
            Assert.Equal(add.TaskId, m.ParentId);
            Assert.Equal(add.TaskId, m.RootId);
        });
        Assert.Equal([0, 1], plan.Messages.Select(m => m.GroupIndex ?? -1));
        var body = plan.Messages[0].Embed.Chord!;
        Assert.Equal("tasks.tsum", body.Task);
        Assert.Equal("id-1", body.Options.TaskId);
        Assert.Equal([], body.Options.Chain!);
        Assert.Equal(add.TaskId, body.Options.ParentId);
        Assert.Equal("id-1", plan.Result!.Id);
        Assert.Equal("w-1", plan.Result.Parent!.Id);
    }

    [Fact]
    public void OnSuccess_PassesRestOfChainToChordBody_WhenChordIsInMiddleOfChain()
    {
        var client = Planner().Plan(Chain.Of(
            Signature.Create("tasks.add", 1, 1),
            Group.Of(Signature.Create("tasks.add", 10), Signature.Create("tasks.add", 20)),
            Signature.Create("tasks.tsum"),
            Signature.Create("tasks.mul", 3)));
        var add = Received(client);

        var plan = Steps().OnSuccess(add, Json("2"));

        var body = plan.Messages[0].Embed.Chord!;
        Assert.Equal("tasks.tsum", body.Task);
        Assert.Equal("tasks.mul", Assert.Single(body.Options.Chain!).Task);
    }

    [Fact]
    public void OnChordCompleted_PublishesBodyWithResultsFromLastHeaderTask_WhenBodyIsTask()
    {
        var client = Planner().Plan(Chord.Of([Signature.Create("tasks.add", 1, 1), Signature.Create("tasks.add", 2, 2)], Signature.Create("tasks.tsum")));
        var body = client.Messages[1].Embed.Chord!;

        var plan = Steps().OnChordCompleted(body, [Json("2"), Json("4")], client.Messages[1].TaskId);

        var tsum = Assert.Single(plan.Messages);
        Assert.Equal("id-2", tsum.TaskId);
        Assert.Equal("[[2,4]]", Json(tsum.BodyJson())[0].GetRawText());
        Assert.Equal(client.Messages[1].TaskId, tsum.ParentId);
        Assert.Equal(client.Messages[1].TaskId, tsum.RootId);
    }

    [Fact]
    public void OnChordCompleted_RunsBodyChain_WhenBodyIsChain()
    {
        var client = Planner().Plan(Chord.Of([Signature.Create("tasks.add", 1, 1)], Signature.Create("tasks.tsum").Then(Signature.Create("tasks.mul", 3))));
        var body = MessageEmbed.Read(Json(client.Messages[0].BodyJson())[2]).Chord!;

        var plan = Steps().OnChordCompleted(body, [Json("2")], client.Messages[0].TaskId);

        var tsum = Assert.Single(plan.Messages);
        Assert.Equal("tasks.tsum", tsum.Task);
        Assert.Equal("id-3", tsum.TaskId);
        Assert.Equal("[[2]]", Json(tsum.BodyJson())[0].GetRawText());
        var mul = Assert.Single(tsum.Embed.Chain!);
        Assert.Equal("tasks.mul", mul.Task);
        Assert.Equal("id-2", mul.Options.TaskId);
    }

    [Fact]
    public void Apply_UnrollsNestedGroupWithResultPrepended_WhenGroupArrivesInChain()
    {
        var step = new FinishedTask("t-1", "root", MessageEmbed.Empty);

        var plan = Steps().Apply(Group.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b").Immutable()), PartialArgs.Of(Json("9")), step);

        Assert.Equal("[9]", Json(plan.Messages[0].BodyJson())[0].GetRawText());
        Assert.Equal("[]", Json(plan.Messages[1].BodyJson())[0].GetRawText());
        Assert.All(plan.Messages, m => Assert.Equal("root", m.RootId));
        Assert.Empty(plan.ChordSizes);
    }

    [Fact]
    public void OnSuccess_PublishesMulWithParentAndRoot_WhenEmbedIsThePythonCapture()
    {
        // The body Celery 5.2.6 published for chain(add.s(1,2), mul.s(10), add.s(100)); add's id was "add-id".
        var body = Json("""
            [[1, 2], {}, {"callbacks": null, "errbacks": null, "chain": [
              {"task": "tasks.add", "args": [100], "kwargs": {}, "options": {"task_id": "56536c4f", "reply_to": "623ab3f1"}, "subtask_type": null, "immutable": false},
              {"task": "tasks.mul", "args": [10],  "kwargs": {}, "options": {"task_id": "306a0db2", "reply_to": "623ab3f1"}, "subtask_type": null, "immutable": false}],
             "chord": null}]
            """);
        var add = new FinishedTask("add-id", "add-id", MessageEmbed.Read(body[2]));

        var plan = Steps().OnSuccess(add, Json("3"));

        var mul = Assert.Single(plan.Messages);
        Assert.Equal("tasks.mul", mul.Task);
        Assert.Equal("306a0db2", mul.TaskId);
        Assert.Equal("add-id", mul.ParentId);
        Assert.Equal("add-id", mul.RootId);
        Assert.Equal("623ab3f1", mul.Options.ReplyTo);
        AssertJson("""
            [[3, 10], {}, {"callbacks": null, "errbacks": null, "chain": [
              {"task": "tasks.add", "args": [100], "kwargs": {}, "options": {"task_id": "56536c4f", "reply_to": "623ab3f1"}, "subtask_type": null, "immutable": false}],
             "chord": null}]
            """, mul.BodyJson());
        Assert.Equal("""[[["306a0db2",null],null]]""", ResultTuple.ChildrenJson(plan.Results));
    }
}
