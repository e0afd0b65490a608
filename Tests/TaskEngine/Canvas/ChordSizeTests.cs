using Onboarding.TaskEngine.Canvas;

namespace Onboarding.Tests.TaskEngine.Canvas;

/// <summary>
/// A chord's size as Celery's <c>chord._descend</c> counts it: one per task, the sum for a group, the last element
/// for a chain, the body for a nested chord.
/// </summary>
public sealed class ChordSizeTests
{
    private static TaskSignature T(string name = "tasks.t") => Signature.Create(name);

    [Fact]
    public void ChordSize_CountsOnePerTask_WhenHeaderIsFlat()
    {
        Assert.Equal(3, CanvasPlanner.ChordSize(Group.Of(T(), T(), T())));
    }

    [Fact]
    public void ChordSize_SumsNestedGroups_WhenHeaderContainsGroups()
    {
        Assert.Equal(4, CanvasPlanner.ChordSize(Group.Of(T(), Group.Of(T(), Group.Of(T(), T())))));
    }

    [Fact]
    public void ChordSize_CountsLastNonEmptyStep_WhenHeaderContainsChain()
    {
        var chainEndingInGroup = Chain.Of(T(), Group.Of(T(), T(), T()));
        var chainEndingInEmptyGroup = Chain.Of(T(), Group.Of(T(), T()), Group.Of());

        Assert.Equal(1, CanvasPlanner.ChordSize(Chain.Of(T(), T(), T())));
        Assert.Equal(3, CanvasPlanner.ChordSize(chainEndingInGroup));
        Assert.Equal(2, CanvasPlanner.ChordSize(chainEndingInEmptyGroup));
        Assert.Equal(0, CanvasPlanner.ChordSize(Chain.Of()));
    }

    [Fact]
    public void ChordSize_CountsBody_WhenHeaderContainsChord()
    {
        var nestedWithTaskBody = Chord.Of([T(), T(), T()], T("tasks.sum"));
        var nestedWithGroupBody = Chord.Of([T()], Group.Of(T(), T()));

        Assert.Equal(1, CanvasPlanner.ChordSize(nestedWithTaskBody));
        Assert.Equal(2, CanvasPlanner.ChordSize(nestedWithGroupBody));
        Assert.Equal(4, CanvasPlanner.ChordSize(Group.Of(nestedWithTaskBody, nestedWithGroupBody, T())));
    }

    [Fact]
    public void ChordSize_CountsOne_WhenMemberIsMapOrChunks()
    {
        Assert.Equal(2, CanvasPlanner.ChordSize(Group.Of(Map.Of(T(), 1, 2), Chunks.Of(T(), 1, [1], [2]))));
    }

    [Fact]
    public void Plan_SetsSizeOfGroupsInsideChainHeaderMember_WhenChordHeaderHasChainEndingInGroup()
    {
        var planner = new CanvasPlanner(CanvasTestSupport.SequentialIds(), CanvasTestSupport.ReplyTo);
        var chord = Chord.Of([Chain.Of(T("tasks.a"), Group.Of(T("tasks.b"), T("tasks.c"))), T("tasks.d")], T("tasks.sum"));

        var plan = planner.Plan(chord);

        Assert.Equal(new ChordSizeEffect("id-1", 3), Assert.Single(plan.ChordSizes));
        var saved = Assert.Single(plan.SavedGroups); // a complex header: one member's result is a group
        Assert.Equal("id-1", saved.Id);
        Assert.True(saved.Children![0].IsGroup);
        Assert.False(saved.Children[1].IsGroup);
    }

    [Fact]
    public void Plan_SavesNoGroup_WhenChordHeaderIsSimple()
    {
        var planner = new CanvasPlanner(CanvasTestSupport.SequentialIds(), CanvasTestSupport.ReplyTo);

        var plan = planner.Plan(Chord.Of([T("tasks.a"), Group.Of(T("tasks.b"), T("tasks.c"))], T("tasks.sum")));

        Assert.Equal(3, Assert.Single(plan.ChordSizes).Size);
        Assert.Empty(plan.SavedGroups);
    }
}
