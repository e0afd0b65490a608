using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.Tests.TaskEngine.Operations;

public sealed class PythonReprTests
{
    [Theory]
    [InlineData("[]", "()")]
    [InlineData("[5]", "(5,)")]
    [InlineData("[2, 3]", "(2, 3)")]
    [InlineData("""["a", null, true, false, 1.5]""", "('a', None, True, False, 1.5)")]
    [InlineData("""[[1, {"k": "v"}]]""", "([1, {'k': 'v'}],)")]
    [InlineData("""["it's"]""", "(\"it's\",)")]
    [InlineData("""["a\nb\\c"]""", @"('a\nb\\c',)")]
    public void Args_WritesAPythonTuple_ForJsonArguments(string json, string expected) =>
        Assert.Equal(expected, PythonRepr.Args([.. JsonDocument.Parse(json).RootElement.EnumerateArray()]));

    [Fact]
    public void Kwargs_WritesAPythonDict_ForKeywordArguments()
    {
        var kwargs = new Dictionary<string, JsonElement> { ["x"] = JsonSerializer.SerializeToElement(1), ["name"] = JsonSerializer.SerializeToElement("Ada") };

        Assert.Equal("{'x': 1, 'name': 'Ada'}", PythonRepr.Kwargs(kwargs));
    }

    [Theory]
    [InlineData(null, "None")]
    [InlineData(42, "42")]
    [InlineData("pong", "'pong'")]
    [InlineData(true, "True")]
    public void Value_WritesPythonsRepr_ForAResult(object? value, string expected) => Assert.Equal(expected, PythonRepr.Value(value));

    [Fact]
    public void Exception_WritesTheConstructorCall_AsPythonPrintsAnException() =>
        Assert.Equal("ValueError('boom')", PythonRepr.Exception(ExceptionInfo.Create("ValueError", "builtins", "boom")));

    [Fact]
    public void Value_CutsLongValues_AsCelerysSafereprDoes()
    {
        var repr = PythonRepr.Value(new string('x', 5000));

        Assert.True(repr.Length < 1100);
        Assert.EndsWith("...", repr, StringComparison.Ordinal);
    }
}
