using System.Text.Json;

namespace Onboarding.Cli.Commands;

/// <summary>Reads <c>--args</c> and <c>--kwargs</c>: JSON, as Celery's own <c>celery call</c> takes them.</summary>
internal static class JsonArguments
{
    public static IReadOnlyList<JsonElement> ParseArray(string? json, string option)
    {
        if (json is null)
        {
            return [];
        }

        var element = Parse(json, option);
        return element.ValueKind == JsonValueKind.Array
            ? [.. element.EnumerateArray()]
            : throw CommandFailedException.Usage($"{option} must be a JSON array, like '[1, \"two\"]'; got {Describe(element)}.");
    }

    public static IReadOnlyDictionary<string, JsonElement> ParseObject(string? json, string option)
    {
        if (json is null)
        {
            return new Dictionary<string, JsonElement>();
        }

        var element = Parse(json, option);
        return element.ValueKind == JsonValueKind.Object
            ? element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal)
            : throw CommandFailedException.Usage($"{option} must be a JSON object, like '{{\"name\": \"ada\"}}'; got {Describe(element)}.");
    }

    private static JsonElement Parse(string json, string option)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw CommandFailedException.Usage($"{option} is not valid JSON: {ex.Message}");
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => element.GetRawText(),
    };
}
