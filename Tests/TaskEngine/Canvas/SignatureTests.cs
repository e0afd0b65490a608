using System.Text.Json;
using Onboarding.TaskEngine.Canvas;

namespace Onboarding.Tests.TaskEngine.Canvas;

public sealed class SignatureTests
{
    [Fact]
    public void Create_SerializesArguments_WhenGivenClrValues()
    {
        var signature = Signature.Create("tasks.add", 1, "two", null, new[] { 3, 4 });

        Assert.Equal("tasks.add", signature.Name);
        Assert.Equal(["1", "\"two\"", "null", "[3,4]"], signature.Args.Select(a => a.GetRawText()));
        Assert.Empty(signature.Kwargs);
        Assert.False(signature.IsImmutable);
        Assert.Null(signature.SubtaskType);
    }

    [Fact]
    public void Builders_ReturnNewInstances_WhenChangingASignature()
    {
        var original = Signature.Create("tasks.add", 1);
        var originalJson = original.ToJson();

        var immutable = original.Immutable();
        var withOptions = original.WithOptions(new SignatureOptions { Queue = "math" });
        var linked = original.Link(Signature.Create("tasks.cb"));
        var onError = original.OnError(Signature.Create("tasks.err"));
        var withKwarg = original.WithKwarg("x", 1);
        var chained = original.Then(Signature.Create("tasks.mul", 2));

        Assert.Equal(originalJson, original.ToJson());
        Assert.True(immutable.IsImmutable);
        Assert.Equal("math", withOptions.Options.Queue);
        Assert.Single(linked.Options.Link!);
        Assert.Single(onError.Options.LinkError!);
        Assert.Single(withKwarg.Kwargs);
        Assert.IsType<Chain>(chained);
        Assert.All(new Signature[] { immutable, withOptions, linked, onError, withKwarg }, s => Assert.NotSame(original, s));
    }

    [Fact]
    public void Link_AppendsCallbacks_WhenCalledTwice()
    {
        var signature = Signature.Create("tasks.a").Link(Signature.Create("tasks.b")).Link(Signature.Create("tasks.c"));

        Assert.Equal(["tasks.b", "tasks.c"], signature.Options.Link!.Select(s => s.Task));
    }

    [Fact]
    public void WithOptions_KeepsGroupId_WhenOverridesSetIt()
    {
        var signature = Signature.Create("tasks.a").WithOptions(new SignatureOptions { GroupId = "g-1", Queue = "q1" });

        var merged = signature.WithOptions(new SignatureOptions { GroupId = "g-2", Queue = "q2" });

        Assert.Equal("g-1", merged.Options.GroupId);
        Assert.Equal("q2", merged.Options.Queue);
    }

    [Fact]
    public void Then_SplicesChains_WhenChainingChains()
    {
        var left = Chain.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b"));
        var right = Chain.Of(Signature.Create("tasks.c"), Signature.Create("tasks.d"));

        var chain = Assert.IsType<Chain>(left.Then(right));

        Assert.Equal(["tasks.a", "tasks.b", "tasks.c", "tasks.d"], chain.Tasks.Select(t => t.Task));
        Assert.Equal(2, left.Tasks.Count);
    }

    [Fact]
    public void Then_MakesChord_WhenGroupIsFollowedByTask()
    {
        var group = Group.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b"));

        var chord = Assert.IsType<Chord>(group.Then(Signature.Create("tasks.sum")));

        Assert.Same(group, chord.Header);
        Assert.Equal("tasks.sum", chord.Body.Task);
    }

    [Fact]
    public void Then_ExtendsBody_WhenChordIsFollowedByTask()
    {
        var chord = Chord.Of([Signature.Create("tasks.a")], Signature.Create("tasks.sum"));

        var extended = Assert.IsType<Chord>(chord.Then(Signature.Create("tasks.mul", 2)));

        Assert.Equal(["tasks.sum", "tasks.mul"], Assert.IsType<Chain>(extended.Body).Tasks.Select(t => t.Task));
        Assert.Equal("tasks.sum", chord.Body.Task);
    }

    [Fact]
    public void Immutable_MarksEveryMember_WhenGroup()
    {
        var group = Assert.IsType<Group>(Group.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")).Immutable());

        Assert.All(group.Tasks, t => Assert.True(t.IsImmutable));
    }

    [Fact]
    public void Link_LinksImmutableCallbackToFirstMember_WhenGroup()
    {
        var group = Assert.IsType<Group>(Group.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")).Link(Signature.Create("tasks.cb")));

        Assert.True(Assert.Single(group.Tasks[0].Options.Link!).IsImmutable);
        Assert.Null(group.Tasks[1].Options.Link);
    }

    [Fact]
    public void OnError_LinksErrbackToEveryMember_WhenGroup()
    {
        var group = Assert.IsType<Group>(Group.Of(Signature.Create("tasks.a"), Signature.Create("tasks.b")).OnError(Signature.Create("tasks.err")));

        Assert.All(group.Tasks, t => Assert.Equal("tasks.err", Assert.Single(t.Options.LinkError!).Task));
    }

    [Fact]
    public void LinkAndOnError_GoToBody_WhenChord()
    {
        var chord = Chord.Of([Signature.Create("tasks.a")], Signature.Create("tasks.sum"))
            .Link(Signature.Create("tasks.cb"))
            .OnError(Signature.Create("tasks.err"));

        var body = Assert.IsType<Chord>(chord).Body;
        Assert.Single(body.Options.Link!);
        Assert.Single(body.Options.LinkError!);
        Assert.Null(chord.Options.Link);
    }

    [Fact]
    public void ToGroup_SplitsItemsIntoStarmaps_WhenChunks()
    {
        var chunks = Chunks.Of(Signature.Create("tasks.add"), 2, [1, 2], [3, 4], [5, 6]);

        var group = chunks.ToGroup();

        Assert.Equal(2, group.Tasks.Count);
        Assert.All(group.Tasks, t => Assert.IsType<Starmap>(t));
        Assert.Equal(2, ((Starmap)group.Tasks[0]).Items.Count);
        Assert.Single(((Starmap)group.Tasks[1]).Items);
        Assert.True(chunks.IsImmutable);
    }

    [Fact]
    public void Of_IsImmutable_WhenMapOrStarmap()
    {
        var map = Map.Of(Signature.Create("tasks.double"), 1, 2, 3);
        var starmap = Starmap.Of(Signature.Create("tasks.add"), [1, 2], [3, 4]);

        Assert.True(map.IsImmutable);
        Assert.True(starmap.IsImmutable);
        Assert.Equal("celery.map", map.Task);
        Assert.Equal("celery.starmap", starmap.Task);
        Assert.Equal("[1,2]", starmap.Items[0].GetRawText());
    }

    [Fact]
    public void Equals_ComparesByValue_WhenCanvasIsReadBackFromJson()
    {
        var canvas = Chain.Of(
            Signature.Create("tasks.add", 1, 2).WithKwarg("scale", 1.5).WithTaskId("t-1"),
            Group.Of(Signature.Create("tasks.a").OnError(Signature.Create("tasks.err")), Map.Of(Signature.Create("tasks.double"), 1, 2)),
            Chord.Of([Signature.Create("tasks.b")], Signature.Create("tasks.sum").Immutable())
                .WithOptions(new SignatureOptions { Queue = "q", Headers = new Dictionary<string, JsonElement> { ["h"] = JsonArgs.ToElement(1) } }));

        var readBack = Signature.FromJson(canvas.ToJson());

        Assert.Equal(canvas, readBack);
        Assert.Equal(canvas.GetHashCode(), readBack.GetHashCode());
        Assert.NotEqual(canvas, Signature.FromJson(canvas.ToJson().Replace("tasks.sum", "tasks.total", StringComparison.Ordinal)));
    }

    [Fact]
    public void Constructor_CopiesTasks_WhenCallerMutatesTheirListLater()
    {
        var tasks = new List<Signature> { Signature.Create("tasks.a") };
        var chain = new Chain(tasks);
        var group = new Group(tasks) { Args = [JsonArgs.ToElement(1)] };

        tasks.Add(Signature.Create("tasks.b"));

        Assert.Single(chain.Tasks);
        Assert.Single(group.Tasks);
    }
}
