using System.Text.Json;
using Onboarding.TaskEngine.Canvas;

namespace Onboarding.Tests.TaskEngine.Canvas;

/// <summary>Result tuples and the saved group meta (docs/wire-format.md, "Task meta" and "Saved groups").</summary>
public sealed class ResultTupleTests
{
    private const string CapturedGroupMeta =
        """{"result": [["d469c14b-0000", null], [[["7b568b1b-0000", null], null], [["4355405f-0000", null], null]]]}""";

    [Fact]
    public void GroupMetaJson_MatchesCapturedSaveFormat_WhenGroupOfTasks()
    {
        var group = new ResultTuple("d469c14b-0000", Children: [new ResultTuple("7b568b1b-0000"), new ResultTuple("4355405f-0000")]);

        var json = ResultTuple.GroupMetaJson(group);

        Assert.Equal(CapturedGroupMeta.Replace(", ", ",", StringComparison.Ordinal).Replace(": ", ":", StringComparison.Ordinal), json);
    }

    [Fact]
    public void ReadGroupMeta_RestoresGroupAndMembers_WhenPythonSavedIt()
    {
        var group = ResultTuple.ReadGroupMeta(CapturedGroupMeta);

        Assert.True(group.IsGroup);
        Assert.Equal("d469c14b-0000", group.Id);
        Assert.Null(group.Parent);
        Assert.Equal(["7b568b1b-0000", "4355405f-0000"], group.Children!.Select(c => c.Id));
        Assert.All(group.Children!, c => Assert.False(c.IsGroup));
    }

    [Fact]
    public void ChildrenJson_EncodesTaskWithParentChain_WhenResultHasParents()
    {
        var result = new ResultTuple("c", new ResultTuple("b", new ResultTuple("a")));

        Assert.Equal("""[[["c",[["b",[["a",null],null]],null]],null]]""", ResultTuple.ChildrenJson([result]));
    }

    [Fact]
    public void Read_RoundTripsNestedGroupWithParent_WhenWrittenBack()
    {
        const string json = """[["g",[["p",null],null]],[[["a",null],null],[["h",null],[[["b",null],null]]]]]""";

        using var document = JsonDocument.Parse(json);
        var tuple = ResultTuple.Read(document.RootElement);

        Assert.Equal("p", tuple.Parent!.Id);
        Assert.True(tuple.Children![1].IsGroup);
        Assert.Equal(json, tuple.ToJson());
    }

    [Fact]
    public void GroupMetaJson_Throws_WhenResultIsNotAGroup()
    {
        Assert.Throws<ArgumentException>(() => ResultTuple.GroupMetaJson(new ResultTuple("a")));
    }
}
