using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Onboarding.OperationsConsole.Actions;

/// <summary>
/// Reads the Python literals Celery events carry as a task's <c>args</c> and <c>kwargs</c> (<c>reprs</c>: strings,
/// numbers, True/False/None, lists, tuples, dicts) back into JSON, like Python's <c>ast.literal_eval</c>: it is what
/// lets Retry send a task again with the same arguments. A repr Celery shortened (ending in <c>...</c>) or holding an
/// object repr (<c>&lt;Foo at 0x…&gt;</c>) has lost the value and is refused.
/// </summary>
internal static class PythonLiteral
{
    /// <summary>Parses one literal; <see cref="FormatException"/> with the position when it is not one.</summary>
    public static JsonNode? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var position = 0;
        var value = ReadValue(text, ref position);
        SkipSpace(text, ref position);
        return position == text.Length ? value : throw Error(text, position, "unexpected text after the value");
    }

    private static JsonNode? ReadValue(string s, ref int i)
    {
        SkipSpace(s, ref i);
        if (i >= s.Length)
        {
            throw Error(s, i, "the value ends early");
        }

        switch (s[i])
        {
            case '\'' or '"':
                return JsonValue.Create(ReadString(s, ref i));
            case '[' or '(':
                var close = s[i] == '[' ? ']' : ')';
                i++;
                var array = new JsonArray();
                while (true)
                {
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == close)
                    {
                        i++;
                        return array;
                    }

                    array.Add(ReadValue(s, ref i));
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == ',')
                    {
                        i++;
                    }
                    else if (i >= s.Length || s[i] != close)
                    {
                        throw Error(s, i, $"expected ',' or '{close}'");
                    }
                }

            case '{':
                i++;
                var obj = new JsonObject();
                while (true)
                {
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == '}')
                    {
                        i++;
                        return obj;
                    }

                    var key = ReadValue(s, ref i);
                    SkipSpace(s, ref i);
                    if (i >= s.Length || s[i] != ':')
                    {
                        throw Error(s, i, "expected ':'");
                    }

                    i++;
                    // JSON keys are strings; Python's int keys become their text, as json.dumps writes them.
                    obj[key?.ToJsonString().Trim('"') ?? "null"] = ReadValue(s, ref i);
                    SkipSpace(s, ref i);
                    if (i < s.Length && s[i] == ',')
                    {
                        i++;
                    }
                    else if (i >= s.Length || s[i] != '}')
                    {
                        throw Error(s, i, "expected ',' or '}'");
                    }
                }

            default:
                var start = i;
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '-' or '+' or '.' or '_'))
                {
                    i++;
                }

                var word = s[start..i];
                return word switch
                {
                    "True" => JsonValue.Create(true),
                    "False" => JsonValue.Create(false),
                    "None" => null,
                    _ when word.Contains("...", StringComparison.Ordinal) => throw Error(s, start, "the value was shortened by the sender"),
                    _ when long.TryParse(word.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
                    _ when double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && double.IsFinite(real) => JsonValue.Create(real),
                    _ => throw Error(s, start, word.Length == 0 ? $"unexpected '{s[start]}'" : $"'{word}' is not a literal"),
                };
        }
    }

    private static string ReadString(string s, ref int i)
    {
        var quote = s[i++];
        var builder = new StringBuilder();
        while (i < s.Length && s[i] != quote)
        {
            if (s[i] != '\\')
            {
                builder.Append(s[i++]);
                continue;
            }

            if (++i >= s.Length)
            {
                break;
            }

            var escape = s[i++];
            switch (escape)
            {
                case 'n': builder.Append('\n'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case '0': builder.Append('\0'); break;
                case 'x': builder.Append((char)ReadHex(s, ref i, 2)); break;
                case 'u': builder.Append((char)ReadHex(s, ref i, 4)); break;
                case 'U': builder.Append(char.ConvertFromUtf32(ReadHex(s, ref i, 8))); break;
                default: builder.Append(escape); break;
            }
        }

        if (i >= s.Length)
        {
            throw Error(s, i, "a string is not closed");
        }

        i++;
        return builder.ToString();
    }

    private static int ReadHex(string s, ref int i, int digits)
    {
        if (i + digits > s.Length || !int.TryParse(s.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var value))
        {
            throw Error(s, i, "a bad escape");
        }

        i += digits;
        return value;
    }

    private static void SkipSpace(string s, ref int i)
    {
        while (i < s.Length && char.IsWhiteSpace(s[i]))
        {
            i++;
        }
    }

    private static FormatException Error(string s, int position, string what) =>
        new($"Not a Python literal at {position} of {s.Length}: {what}.");

    /// <summary>Positional arguments from an <c>args</c> repr (a tuple or list).</summary>
    public static IReadOnlyList<JsonElement> Args(string? repr) =>
        string.IsNullOrWhiteSpace(repr) ? [] : Parse(repr) is JsonArray array
            ? [.. array.Select(node => JsonSerializer.SerializeToElement(node))]
            : throw new FormatException("The positional arguments are not a tuple or list.");

    /// <summary>Keyword arguments from a <c>kwargs</c> repr (a dict).</summary>
    public static IReadOnlyDictionary<string, JsonElement> Kwargs(string? repr) =>
        string.IsNullOrWhiteSpace(repr) ? new Dictionary<string, JsonElement>() : Parse(repr) is JsonObject obj
            ? obj.ToDictionary(p => p.Key, p => JsonSerializer.SerializeToElement(p.Value), StringComparer.Ordinal)
            : throw new FormatException("The keyword arguments are not a dict.");
}
