using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;

namespace Onboarding.ServiceDefaults.HttpApi;

/// <summary>
/// Reads a System.Text.Json error path (<c>$.items[0].quantity</c>, <c>$['odd name']</c>) against the request
/// body's type: the field name the validators use, and what the field's type accepts.
/// </summary>
internal static partial class JsonPaths
{
    /// <summary><c>$.items[0].quantity</c> → <c>items[0].quantity</c>; the root (<c>$</c>) is <c>body</c>.</summary>
    public static string ToField(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }

        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 ? "body" : field;
    }

    /// <summary>What the value at <paramref name="path"/> of a <paramref name="bodyType"/> body must be, in words.</summary>
    public static string Expected(Type? bodyType, string? path)
    {
        var type = bodyType;
        foreach (Match segment in Segments().Matches(path ?? string.Empty))
        {
            if (type is null)
            {
                break;
            }

            type = segment.Groups["index"].Success
                ? ElementType(Unwrap(type))
                : Unwrap(type).GetProperty(segment.Groups["name"].Value, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
        }

        return type is null ? "a value of the field's type" : Describe(Unwrap(type));
    }

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(string) => "a string",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) => $"an integer from {int.MinValue} to {int.MaxValue}",
        _ when type == typeof(long) => $"an integer from {long.MinValue} to {long.MaxValue}",
        _ when type == typeof(decimal) || type == typeof(double) || type == typeof(float) => "a number",
        _ when type == typeof(Guid) => "a GUID string",
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "an ISO 8601 date and time string",
        { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ when ElementType(type) is not null => "an array",
        _ => "an object",
    };

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        return type.IsArray
            ? type.GetElementType()
            : type.GetInterfaces().Append(type)
                .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
    }

    // .name, ['name'] or [index], in order.
    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<name>(?:[^']|'')*)'\]|\[(?<index>\d+)\]", RegexOptions.CultureInvariant)]
    private static partial Regex Segments();
}
