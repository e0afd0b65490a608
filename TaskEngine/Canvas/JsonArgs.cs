using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>Turns CLR values into the <see cref="JsonElement"/> arguments a signature carries.</summary>
public static class JsonArgs
{
    /// <summary>JSON null.</summary>
    public static JsonElement Null { get; } = Parse("null");

    /// <summary>
    /// Serializes one value with reflection-based System.Text.Json (a <see cref="JsonElement"/> is kept as is; null
    /// becomes JSON null). For trimmed or AOT code, use <see cref="ToElement{T}(T, JsonTypeInfo{T})"/>.
    /// </summary>
    public static JsonElement ToElement(object? value) => value switch
    {
        JsonElement element => element.Clone(),
        null => Null,
        string text => String(text),
        IReadOnlyList<JsonElement> list => Array(list),
        _ => JsonSerializer.SerializeToElement(value, value.GetType()),
    };

    /// <summary>Serializes one value with source-generated metadata.</summary>
    public static JsonElement ToElement<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToElement(value, typeInfo);

    /// <summary>Serializes each value.</summary>
    public static IReadOnlyList<JsonElement> From(params object?[]? values) =>
        values is null ? [Null] : [.. values.Select(ToElement)];

    internal static JsonElement String(string value) =>
        Parse(CanvasJson.WriteToString(writer => writer.WriteStringValue(value)));

    internal static JsonElement Array(IReadOnlyList<JsonElement> values) =>
        Parse(CanvasJson.WriteToString(writer => CanvasJson.WriteArray(writer, values)));

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
