using System.Text.Encodings.Web;
using System.Text.Json;
using Onboarding.OperationsConsole.Actions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>Reading Celery's argument reprs back into JSON, which Retry sends.</summary>
public sealed class PythonLiteralTests
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Theory]
    [InlineData("()", "[]")]
    [InlineData("(1,)", "[1]")]
    [InlineData("('a', 2.5, True, False, None)", "[\"a\",2.5,true,false,null]")]
    [InlineData("[\"it's\", 'say \"hi\"', 'tab\\there', '\\xe9\\u20ac']", "[\"it's\",\"say \\\"hi\\\"\",\"tab\\there\",\"\u00e9\u20ac\"]")]
    [InlineData("({'user_id': 'u1', 'n': [1, (2, 3)], 'm': {}},)", "[{\"user_id\":\"u1\",\"n\":[1,[2,3]],\"m\":{}}]")]
    [InlineData("(-7, 1e3, 12345678901234)", "[-7,1000,12345678901234]")]
    public void Args_ReadsTheRepr_AsJson(string repr, string json)
    {
        var args = PythonLiteral.Args(repr);

        Assert.Equal(json, JsonSerializer.Serialize(args, Relaxed));
    }

    [Fact]
    public void Kwargs_ReadsADict_WithIntegerKeysAsText()
    {
        var kwargs = PythonLiteral.Kwargs("{'message': 'boom', 1: None}");

        Assert.Equal("boom", kwargs["message"].GetString());
        Assert.Equal(JsonValueKind.Null, kwargs["1"].ValueKind);
    }

    [Theory]
    [InlineData("('abc', 'de...")]
    [InlineData("(<object object at 0x7f>,)")]
    [InlineData("('a',) trailing")]
    [InlineData("{'a' 1}")]
    [InlineData("(1, 2")]
    public void Args_RefusesWithAClearError_WhenTheReprLostTheValue(string repr)
    {
        var error = Assert.Throws<FormatException>(() => PythonLiteral.Args(repr));

        Assert.StartsWith("Not a Python literal", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kwargs_Refuses_WhenTheReprIsNotADict() =>
        Assert.Throws<FormatException>(() => PythonLiteral.Kwargs("(1, 2)"));
}
