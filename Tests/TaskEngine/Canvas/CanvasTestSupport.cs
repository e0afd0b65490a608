using System.Text.Json;
using System.Text.Json.Nodes;
using Onboarding.TaskEngine.Canvas;

namespace Onboarding.Tests.TaskEngine.Canvas;

/// <summary>Deterministic ids and JSON comparison for canvas tests.</summary>
internal static class CanvasTestSupport
{
    public const string ReplyTo = "623ab3f1-af4f-3e58-9a88-4240025f8c57";

    /// <summary>Ids "id-1", "id-2", ... in the order the planner asks for them.</summary>
    public static Func<string> SequentialIds(string prefix = "id")
    {
        var next = 0;
        return () => $"{prefix}-{++next}";
    }

    public static CanvasPlanner Planner(string prefix = "id") => new(SequentialIds(prefix), ReplyTo);

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Compact JSON with the key order kept, so a comparison also checks the order. Null values inside an
    /// <c>options</c> object are dropped: Python reads <c>"root_id": null</c> and a missing key alike, and we omit them.
    /// </summary>
    public static string Normalize(string json)
    {
        var node = JsonNode.Parse(json);
        DropNullOptions(node);
        return node?.ToJsonString() ?? "null";
    }

    public static void AssertJson(string expected, string actual) => Assert.Equal(Normalize(expected), Normalize(actual));

    private static void DropNullOptions(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["options"] is JsonObject options)
                {
                    foreach (var key in options.Where(p => p.Value is null).Select(p => p.Key).ToList())
                    {
                        options.Remove(key);
                    }
                }

                foreach (var (_, value) in obj)
                {
                    DropNullOptions(value);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    DropNullOptions(item);
                }

                break;
        }
    }
}
