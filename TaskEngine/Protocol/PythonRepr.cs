using System.Globalization;
using System.Text;
using System.Text.Json;
namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// Python's <c>repr()</c> of JSON values, which is what Celery puts in a message's <c>argsrepr</c>/<c>kwargsrepr</c>
/// headers and in its events for arguments, results and exceptions (<c>(2, 3)</c>, <c>{'a': 1}</c>, <c>'text'</c>,
/// <c>None</c>, <c>ValueError('boom')</c>), so that logs and monitors show our tasks as they show Python's. Long values
/// are cut as Celery's <c>saferepr</c> cuts them.
/// </summary>
internal static class PythonRepr
{
    private const int MaxLength = 1024;

    /// <summary>The args tuple: <c>()</c>, <c>(5,)</c>, <c>(2, 3)</c>.</summary>
    public static string Args(IReadOnlyList<JsonElement> args)
    {
        if (args.Count == 0)
        {
            return "()";
        }

        var builder = new StringBuilder("(");
        for (var i = 0; i < args.Count && builder.Length < MaxLength; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            Append(builder, args[i]);
        }

        if (args.Count == 1)
        {
            builder.Append(',');
        }

        return Cut(builder.Append(')'));
    }

    /// <summary>The kwargs dict: <c>{}</c>, <c>{'x': 1}</c>.</summary>
    public static string Kwargs(IReadOnlyDictionary<string, JsonElement> kwargs)
    {
        if (kwargs.Count == 0)
        {
            return "{}";
        }

        var builder = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in kwargs)
        {
            if (!first)
            {
                builder.Append(", ");
            }

            first = false;
            AppendString(builder, key);
            builder.Append(": ");
            Append(builder, value);
            if (builder.Length >= MaxLength)
            {
                break;
            }
        }

        return Cut(builder.Append('}'));
    }

    /// <summary>A result value (anything JSON-serializable).</summary>
    public static string Value(object? value)
    {
        if (value is null)
        {
            return "None";
        }

        var builder = new StringBuilder();
        Append(builder, value is JsonElement element ? element : JsonSerializer.SerializeToElement(value, TaskJson.Options));
        return Cut(builder);
    }

    /// <summary>An exception as Python writes one: <c>ValueError('boom')</c>.</summary>
    public static string Exception(ExceptionInfo info)
    {
        var builder = new StringBuilder(info.Type).Append('(');
        if (info.Message.ValueKind == JsonValueKind.Array)
        {
            var first = true;
            foreach (var arg in info.Message.EnumerateArray())
            {
                if (!first)
                {
                    builder.Append(", ");
                }

                first = false;
                Append(builder, arg);
            }
        }
        else if (info.Message.ValueKind is not JsonValueKind.Undefined and not JsonValueKind.Null)
        {
            Append(builder, info.Message);
        }

        return Cut(builder.Append(')'));
    }

    private static string Cut(StringBuilder builder) =>
        builder.Length <= MaxLength ? builder.ToString() : builder.ToString(0, MaxLength) + "...";

    private static void Append(StringBuilder builder, JsonElement value)
    {
        if (builder.Length > MaxLength)
        {
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                AppendString(builder, value.GetString()!);
                break;
            case JsonValueKind.Number:
                var raw = value.GetRawText();
                // Python prints floats in exponent form as 1e+20 and whole floats as 1.0; JSON keeps what was written.
                builder.Append(raw.Contains('E', StringComparison.Ordinal) ? raw.Replace('E', 'e') : raw);
                break;
            case JsonValueKind.True:
                builder.Append("True");
                break;
            case JsonValueKind.False:
                builder.Append("False");
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                var firstItem = true;
                foreach (var item in value.EnumerateArray())
                {
                    if (!firstItem)
                    {
                        builder.Append(", ");
                    }

                    firstItem = false;
                    Append(builder, item);
                }

                builder.Append(']');
                break;
            case JsonValueKind.Object:
                builder.Append('{');
                var firstProperty = true;
                foreach (var property in value.EnumerateObject())
                {
                    if (!firstProperty)
                    {
                        builder.Append(", ");
                    }

                    firstProperty = false;
                    AppendString(builder, property.Name);
                    builder.Append(": ");
                    Append(builder, property.Value);
                }

                builder.Append('}');
                break;
            default:
                builder.Append("None");
                break;
        }
    }

    // Python picks single quotes unless the text has a single quote and no double quote.
    private static void AppendString(StringBuilder builder, string text)
    {
        var quote = text.Contains('\'', StringComparison.Ordinal) && !text.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        builder.Append(quote);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                default:
                    if (c == quote)
                    {
                        builder.Append('\\');
                    }

                    if (c < ' ')
                    {
                        builder.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append(quote);
    }
}
