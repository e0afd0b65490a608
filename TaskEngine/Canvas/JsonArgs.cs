using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>Turns CLR values into the <see cref="JsonElement"/> arguments a signature carries.</summary>
public static class JsonArgs
{
    /// <summary>Serializes one value (a <see cref="JsonElement"/> is kept as is; null becomes JSON null).</summary>
    public static JsonElement ToElement(object? value) => value switch
    {
        JsonElement element => element.Clone(),
        null => Null,
        _ => JsonSerializer.SerializeToElement(value, value.GetType()),
    };

    /// <summary>Serializes each value.</summary>
    public static IReadOnlyList<JsonElement> From(params object?[]? values) =>
        values is null ? [Null] : [.. values.Select(ToElement)];

    /// <summary>JSON null.</summary>
    public static JsonElement Null { get; } = JsonDocument.Parse("null").RootElement.Clone();
}
