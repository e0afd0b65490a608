using Onboarding.TaskEngine.Canvas;
using static Onboarding.Tests.TaskEngine.Canvas.CanvasTestSupport;

namespace Onboarding.Tests.TaskEngine.Canvas;

/// <summary>
/// Golden tests against the messages real Celery 5.2.6 published (docs/wire-format.md, "Canvas on the wire"), with the captured
/// uuids replaced by deterministic ids in the order Celery freezes them.
/// </summary>
public sealed class CanvasPlannerTests
{
    private const string R = ReplyTo;

    [Fact]
    public void Plan_PublishesFirstTaskWithRestReversed_WhenCanvasIsChain()
    {
        // chain(add.s(1,2), mul.s(10), add.s(100)): ids are frozen from the last task backwards.
        var chain = Chain.Of(Signature.Create("tasks.add", 1, 2), Signature.Create("tasks.mul", 10), Signature.Create("tasks.add", 100));

        var plan = Planner().Plan(chain);

        var message = Assert.Single(plan.Messages);
        Assert.Equal("tasks.add", message.Task);
        Assert.Equal("id-3", message.TaskId);
        Assert.Equal("id-3", message.RootId);
        Assert.Null(message.ParentId);
        Assert.Null(message.GroupId);
        AssertJson($$$"""
            [[1, 2], {}, {"callbacks": null, "errbacks": null, "chain": [
              {"task": "tasks.add", "args": [100], "kwargs": {}, "options": {"task_id": "id-1", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false},
              {"task": "tasks.mul", "args": [10],  "kwargs": {}, "options": {"task_id": "id-2", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false}],
             "chord": null}]
            """, message.BodyJson());
        Assert.Empty(plan.ChordSizes);
        Assert.Equal("""[["id-1",[["id-2",[["id-3",null],null]],null]],null]""", plan.Result!.ToJson());
    }

    [Fact]
    public void Plan_PublishesOneMessagePerMemberWithoutGroupIndex_WhenCanvasIsGroup()
    {
        var group = Group.Of(Signature.Create("tasks.add", 1, 1), Signature.Create("tasks.add", 2, 2), Signature.Create("tasks.add", 3, 3));

        var plan = Planner().Plan(group);

        Assert.Equal(3, plan.Messages.Count);
        Assert.All(plan.Messages, m => Assert.Equal("id-1", m.GroupId));
        Assert.All(plan.Messages, m => Assert.Null(m.GroupIndex));
        Assert.All(plan.Messages, m => Assert.Equal(m.TaskId, m.RootId));
        Assert.Equal(["id-2", "id-3", "id-4"], plan.Messages.Select(m => m.TaskId));
        Assert.Equal("""[[3,3],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]""", plan.Messages[2].BodyJson());
        Assert.Empty(plan.ChordSizes);
        Assert.True(plan.Result!.IsGroup);
        Assert.Equal("id-1", plan.Result.Id);
    }

    [Fact]
    public void Plan_SetsChordSizeAndEmbedsBodyInEveryHeaderMessage_WhenCanvasIsChord()
    {
        var chord = Chord.Of([Signature.Create("tasks.add", 1, 1), Signature.Create("tasks.add", 2, 2), Signature.Create("tasks.add", 3, 3)], Signature.Create("tasks.tsum"));

        var plan = Planner().Plan(chord);

        var size = Assert.Single(plan.ChordSizes);
        Assert.Equal(new ChordSizeEffect("id-1", 3), size);
        Assert.Equal("celery-taskset-meta-id-1.s", size.Key);
        Assert.Equal(3, plan.Messages.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("id-1", plan.Messages[i].GroupId);
            Assert.Equal(i, plan.Messages[i].GroupIndex);
        }

        AssertJson($$$"""
            [[1, 1], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord":
              {"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {"task_id": "id-2", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false}}]
            """, plan.Messages[0].BodyJson());
        Assert.Equal("id-2", plan.Result!.Id);
        Assert.Equal("id-1", plan.Result.Parent!.Id);
    }

    [Fact]
    public void Plan_UpgradesGroupFollowedByTaskToChordInEmbedChain_WhenChainHasGroupInMiddle()
    {
        // chain(add.s(1,1), group(add.s(10), add.s(20)), tsum.s())
        var chain = Chain.Of(
            Signature.Create("tasks.add", 1, 1),
            Group.Of(Signature.Create("tasks.add", 10), Signature.Create("tasks.add", 20)),
            Signature.Create("tasks.tsum"));

        var plan = Planner().Plan(chain);

        var message = Assert.Single(plan.Messages);
        Assert.Equal("id-5", message.TaskId);
        var tsum = $$$"""{"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {"task_id": "id-1", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false}""";
        AssertJson($$$"""
            [[1, 1], {}, {"callbacks": null, "errbacks": null,
             "chain": [{"task": "celery.chord", "args": [], "kwargs": {"kwargs": {},
               "header": {"task": "celery.group", "args": [], "kwargs": {"tasks": [
                   {"task": "tasks.add", "args": [10], "kwargs": {}, "options": {"task_id": "id-3", "reply_to": "{{{R}}}", "chord": {{{tsum}}}, "group_index": 0}, "subtask_type": null, "immutable": false},
                   {"task": "tasks.add", "args": [20], "kwargs": {}, "options": {"task_id": "id-4", "reply_to": "{{{R}}}", "chord": {{{tsum}}}, "group_index": 1}, "subtask_type": null, "immutable": false}]},
                 "options": {"task_id": "id-2", "chord": {{{tsum}}}, "root_id": null, "parent_id": null}, "subtask_type": "group", "immutable": false},
               "body": {{{tsum}}}},
             "options": {"task_id": "id-2"}, "subtask_type": "chord", "immutable": false}],
             "chord": null}]
            """, message.BodyJson());
        Assert.Empty(plan.ChordSizes); // the worker that finishes add(1,1) sets it
    }

    [Fact]
    public void Plan_EmbedsBodyAsChainSignature_WhenChordBodyIsChain()
    {
        var chord = Chord.Of([Signature.Create("tasks.add", 1, 1), Signature.Create("tasks.add", 2, 2)], Signature.Create("tasks.tsum").Then(Signature.Create("tasks.mul", 3)));

        var plan = Planner().Plan(chord);

        Assert.Equal(new ChordSizeEffect("id-1", 2), Assert.Single(plan.ChordSizes));
        AssertJson($$$"""
            [[1, 1], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord":
              {"task": "celery.chain", "args": [], "kwargs": {"tasks": [
                {"task": "tasks.tsum", "args": [], "kwargs": {}, "options": {"task_id": "id-3", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false},
                {"task": "tasks.mul", "args": [3], "kwargs": {}, "options": {"task_id": "id-2", "reply_to": "{{{R}}}"}, "subtask_type": null, "immutable": false}]},
               "options": {}, "subtask_type": "chain", "immutable": false}}]
            """, plan.Messages[0].BodyJson());
        Assert.Equal("id-2", plan.Result!.Id); // the client tracks the last task of the body
    }

    [Fact]
    public void Plan_PutsLinkInCallbacksAndLinkErrorInErrbacks_WhenTaskHasLinks()
    {
        // fail.apply_async((7,), link=add.s(1), link_error=[on_error_new.s(), on_error_old.s()])
        var signature = Signature.Create("tasks.fail", 7)
            .Link(Signature.Create("tasks.add", 1))
            .OnError(Signature.Create("tasks.on_error_new"))
            .OnError(Signature.Create("tasks.on_error_old"));

        var plan = Planner().Plan(signature);

        AssertJson("""
            [[7], {}, {"callbacks": [{"task": "tasks.add", "args": [1], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}],
             "errbacks": [{"task": "tasks.on_error_new", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false},
                          {"task": "tasks.on_error_old", "args": [], "kwargs": {}, "options": {}, "subtask_type": null, "immutable": false}],
             "chain": null, "chord": null}]
            """, Assert.Single(plan.Messages).BodyJson());
    }

    [Fact]
    public void Plan_PutsErrbackOnFirstTaskAndLinkErrorOnLaterSteps_WhenChainHasOnError()
    {
        var chain = Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b"), Signature.Create("tasks.c"))
            .OnError(Signature.Create("tasks.on_error"));

        var plan = Planner().Plan(chain);

        var message = Assert.Single(plan.Messages);
        Assert.Equal("tasks.on_error", Assert.Single(message.Embed.Errbacks!).Task);
        Assert.Equal(2, message.Embed.Chain!.Count);
        Assert.All(message.Embed.Chain, step => Assert.Equal("tasks.on_error", Assert.Single(step.Options.LinkError!).Task));
        Assert.Null(message.Options.LinkError);
    }

    [Fact]
    public void Plan_LinksCallbackToLastStep_WhenChainHasLink()
    {
        var chain = Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")).Link(Signature.Create("tasks.done"));

        var plan = Planner().Plan(chain);

        var message = Assert.Single(plan.Messages);
        Assert.Null(message.Embed.Callbacks);
        Assert.Equal("tasks.done", Assert.Single(Assert.Single(message.Embed.Chain!).Options.Link!).Task);
    }

    [Fact]
    public void Plan_SplicesNestedChains_WhenChainContainsChain()
    {
        var chain = Chain.Of(Chain.Of(Signature.Create("tasks.a", 1), Signature.Create("tasks.b")), Signature.Create("tasks.c"));

        var plan = Planner().Plan(chain);

        var message = Assert.Single(plan.Messages);
        Assert.Equal("tasks.a", message.Task);
        Assert.Equal(["tasks.c", "tasks.b"], message.Embed.Chain!.Select(s => s.Task));
    }

    [Fact]
    public void Plan_GivesEachChainItsLastTaskInTheGroup_WhenGroupOfChains()
    {
        var group = Group.Of(
            Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")),
            Chain.Of(Signature.Create("tasks.c"), Signature.Create("tasks.d")));

        var plan = Planner().Plan(group);

        Assert.Equal(["tasks.a", "tasks.c"], plan.Messages.Select(m => m.Task));
        Assert.All(plan.Messages, m => Assert.Null(m.GroupId));
        Assert.Equal("id-1", plan.Messages[0].Embed.Chain![0].Options.GroupId);
        Assert.Equal("id-1", plan.Messages[1].Embed.Chain![0].Options.GroupId);
        Assert.Equal(
            [plan.Messages[0].Embed.Chain![0].Options.TaskId!, plan.Messages[1].Embed.Chain![0].Options.TaskId!],
            plan.Result!.Children!.Select(c => c.Id));
    }

    [Fact]
    public void Plan_CountsNestedChordByItsBody_WhenChordHeaderContainsChord()
    {
        var inner = Chord.Of([Signature.Create("tasks.a"), Signature.Create("tasks.b")], Signature.Create("tasks.inner_sum"));
        var outer = Chord.Of([inner, Signature.Create("tasks.c")], Signature.Create("tasks.outer_sum"));

        var plan = Planner().Plan(outer);

        // Outer header = (inner chord -> 1 completion from its body) + c.
        Assert.Contains(plan.ChordSizes, s => s.Size == 2 && s.GroupId == "id-1");
        var innerSize = Assert.Single(plan.ChordSizes, s => s.GroupId != "id-1");
        Assert.Equal(2, innerSize.Size);
        var innerHeader = plan.Messages.Where(m => m.GroupId == innerSize.GroupId).ToList();
        Assert.Equal(2, innerHeader.Count);
        var innerBody = innerHeader[0].Embed.Chord!;
        Assert.Equal("tasks.inner_sum", innerBody.Task);
        Assert.Equal("id-1", innerBody.Options.GroupId); // the inner body completes the outer chord
        Assert.Equal("tasks.outer_sum", innerBody.Options.Chord!.Task);
        var c = Assert.Single(plan.Messages, m => m.Task == "tasks.c");
        Assert.Equal("id-1", c.GroupId);
        Assert.Equal("tasks.outer_sum", c.Embed.Chord!.Task);
    }

    [Fact]
    public void Plan_PublishesGroupOfStarmaps_WhenCanvasIsChunks()
    {
        var chunks = Chunks.Of(Signature.Create("tasks.add"), 2, [1, 1], [2, 2], [3, 3]);

        var plan = Planner().Plan(chunks);

        Assert.Equal(2, plan.Messages.Count);
        Assert.All(plan.Messages, m => Assert.Equal("celery.starmap", m.Task));
        Assert.All(plan.Messages, m => Assert.Equal("id-1", m.GroupId));
        Assert.Equal("[[1,1],[2,2]]", plan.Messages[0].Kwargs["it"].GetRawText());
        Assert.Equal("[[3,3]]", plan.Messages[1].Kwargs["it"].GetRawText());
        Assert.Equal("tasks.add", plan.Messages[0].Kwargs["task"].GetProperty("task").GetString());
    }

    [Fact]
    public void Plan_UsesContextAsParentAndRoot_WhenPublishedFromInsideATask()
    {
        var plan = Planner().Plan(Signature.Create("tasks.add", 1, 2), new PlanContext("parent-1", "root-1"));

        var message = Assert.Single(plan.Messages);
        Assert.Equal("parent-1", message.ParentId);
        Assert.Equal("root-1", message.RootId);
    }

    [Fact]
    public void Plan_AppliesBodyWithEmptyList_WhenChordHeaderIsEmpty()
    {
        var plan = Planner().Plan(Chord.Of([], Signature.Create("tasks.tsum")));

        var message = Assert.Single(plan.Messages);
        Assert.Equal("tasks.tsum", message.Task);
        Assert.Equal("""[[[]],{},{"callbacks":null,"errbacks":null,"chain":null,"chord":null}]""", message.BodyJson());
        Assert.Empty(plan.ChordSizes);
    }

    [Fact]
    public void Plan_Throws_WhenGroupIsGivenALinkAtCallTime()
    {
        var planner = Planner();

        Assert.Throws<InvalidOperationException>(() => planner.Apply(
            Group.Of(Signature.Create("tasks.a")),
            PartialArgs.None,
            new SignatureOptions { Link = [Signature.Create("tasks.b")] },
            PlanContext.Client,
            appliedByWorker: false));
    }

    [Fact]
    public void Plan_PassesRestOfChainToChordBody_WhenChainStartsWithChord()
    {
        var chain = Chain.Of(
            Chord.Of([Signature.Create("tasks.a"), Signature.Create("tasks.b")], Signature.Create("tasks.sum")),
            Signature.Create("tasks.mul", 2));

        var plan = Planner().Plan(chain);

        Assert.Equal(["tasks.a", "tasks.b"], plan.Messages.Select(m => m.Task));
        var size = Assert.Single(plan.ChordSizes);
        Assert.Equal(2, size.Size);
        Assert.All(plan.Messages, m => Assert.Equal(size.GroupId, m.GroupId));
        Assert.All(plan.Messages, m => Assert.Null(m.Embed.Chain));
        var body = plan.Messages[0].Embed.Chord!;
        Assert.Equal("tasks.sum", body.Task);
        Assert.Equal("tasks.mul", Assert.Single(body.Options.Chain!).Task);
        Assert.Equal("id-1", plan.Result!.Id); // mul, the last step
    }

    [Fact]
    public void Plan_KeepsFrozenGroupIdForWorker_WhenChainEndsWithGroup()
    {
        var chain = Chain.Of(Signature.Create("tasks.a"), Group.Of(Signature.Create("tasks.b"), Signature.Create("tasks.c")));

        var plan = Planner().Plan(chain);
        var group = Assert.IsType<Group>(Assert.Single(Assert.Single(plan.Messages).Embed.Chain!));
        var next = Planner("w").Apply(group, PartialArgs.Of(CanvasTestSupport.Json("1")), SignatureOptions.None, new PlanContext("a-id", "a-id"), appliedByWorker: true);

        Assert.Equal(group.Options.TaskId, plan.Result!.Id);
        Assert.Equal(2, next.Messages.Count);
        Assert.All(next.Messages, m => Assert.Equal(group.Options.TaskId, m.GroupId));
        Assert.Equal(group.Tasks.Select(t => t.Options.TaskId), next.Messages.Select(m => m.TaskId));
        Assert.All(next.Messages, m => Assert.Equal("a-id", m.ParentId));
    }

    [Fact]
    public void Plan_CopiesChainOptionsToFirstTaskOnly_WhenChainHasQueue()
    {
        var chain = Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")).WithOptions(new SignatureOptions { Queue = "math", Priority = 3 });

        var message = Assert.Single(Planner().Plan(chain).Messages);

        Assert.Equal("math", message.Options.Queue);
        Assert.Equal(3, message.Options.Priority);
        Assert.Null(Assert.Single(message.Embed.Chain!).Options.Queue);
    }

    [Fact]
    public void Plan_FreezesEveryId_WhenSameCanvasIsPlannedTwiceWithFrozenCanvas()
    {
        var planner = Planner();
        var (frozen, result) = planner.Freeze(Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")));

        var plan = Planner("other").Plan(frozen);

        Assert.Equal(result.Id, plan.Result!.Id);
        Assert.Equal(((Chain)frozen).Tasks[0].Options.TaskId, Assert.Single(plan.Messages).TaskId);
    }
}
