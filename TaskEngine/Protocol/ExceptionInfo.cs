using System.Text.Json;

namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// An exception as Celery stores it: <c>{"exc_type", "exc_message": [args...], "exc_module"}</c>
/// (docs/wire-format.md, "Exceptions"). <see cref="Message"/> holds the raw <c>exc_message</c> (a list, or a string
/// from older writers).
/// </summary>
public sealed record ExceptionInfo(string Type, JsonElement Message, string? Module)
{
    /// <summary>The exception's arguments as text, joined: what a person wants to read.</summary>
    public string MessageText => Message.ValueKind switch
    {
        JsonValueKind.Array => string.Join(", ", Message.EnumerateArray().Select(Text)),
        JsonValueKind.Undefined or JsonValueKind.Null => string.Empty,
        _ => Text(Message),
    };

    /// <summary>Builds the stored shape with one string argument, as a .NET exception has one message.</summary>
    public static ExceptionInfo Create(string type, string? module, params object?[] args) =>
        new(type, JsonSerializer.SerializeToElement(args, TaskJson.Options), module);

    /// <summary>
    /// Maps a .NET exception: the type's name, its namespace as the module and its message as the only argument.
    /// A <see cref="TaskException"/> keeps the Celery type and module it names.
    /// </summary>
    public static ExceptionInfo FromException(Exception exception) => exception switch
    {
        TaskException task => task.Info,
        _ => Create(exception.GetType().Name, exception.GetType().Namespace, exception.Message),
    };

    private static string Text(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString() ?? string.Empty : element.GetRawText();
}

/// <summary>An exception that names the Celery type and module it is stored as (e.g. <c>billiard.exceptions.TimeLimitExceeded</c>).</summary>
public class TaskException(ExceptionInfo info, Exception? innerException = null)
    : Exception($"{info.Type}: {info.MessageText}", innerException)
{
    public ExceptionInfo Info { get; } = info;
}
