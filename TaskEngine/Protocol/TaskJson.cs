using System.Text.Json;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// JSON settings for user payloads (arguments and results): snake_case names like the Python side, case-insensitive
/// reading, and floats written as Python writes them (<c>1.0</c>, not <c>1</c>: see <see cref="PythonFloatConverter"/>).
/// The protocol itself is written by hand with <see cref="Utf8JsonWriter"/>.
/// </summary>
public static class TaskJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            Converters = { new PythonFloatConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
