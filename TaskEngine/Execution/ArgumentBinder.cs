using System.Reflection;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// Binds Celery's positional args and kwargs to an argument record: positional args fill the constructor's
/// parameters in order, kwargs match by exact name or snake_case name, and missing optional parameters take
/// their defaults.
/// </summary>
internal static class ArgumentBinder<TArgs>
{
    private static readonly ConstructorInfo? Constructor = typeof(TArgs)
        .GetConstructors(BindingFlags.Public | BindingFlags.Instance)
        .OrderByDescending(c => c.GetParameters().Length)
        .FirstOrDefault();

    private static readonly ParameterInfo[] Parameters = Constructor?.GetParameters() ?? [];

    private static readonly string[] SnakeNames = Array.ConvertAll(Parameters, p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name!));

    public static TArgs Bind(IReadOnlyList<JsonElement> args, IReadOnlyDictionary<string, JsonElement> kwargs)
    {
        if (typeof(TArgs) == typeof(NoArgs))
        {
            return (TArgs)(object)new NoArgs();
        }

        if (Constructor is null)
        {
            throw new TaskArgumentException($"{typeof(TArgs).Name} has no public constructor to bind arguments to.");
        }

        if (args.Count > Parameters.Length)
        {
            throw new TaskArgumentException(
                $"{typeof(TArgs).Name} takes {Parameters.Length} positional argument(s) but {args.Count} were given.");
        }

        var values = new object?[Parameters.Length];
        for (var i = 0; i < Parameters.Length; i++)
        {
            var parameter = Parameters[i];
            if (i < args.Count)
            {
                values[i] = Convert(args[i], parameter);
            }
            else if (kwargs.TryGetValue(parameter.Name!, out var byName) || kwargs.TryGetValue(SnakeNames[i], out byName))
            {
                values[i] = Convert(byName, parameter);
            }
            else if (parameter.HasDefaultValue)
            {
                values[i] = parameter.DefaultValue;
            }
            else
            {
                throw new TaskArgumentException($"Missing required argument '{SnakeNames[i]}' for {typeof(TArgs).Name}.");
            }
        }

        return (TArgs)Constructor.Invoke(values);
    }

    private static object? Convert(JsonElement element, ParameterInfo parameter)
    {
        try
        {
            return parameter.ParameterType == typeof(JsonElement) ? element : element.Deserialize(parameter.ParameterType, TaskJson.Options);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Python raises TypeError for a call that does not fit the signature; say which argument and what it got.
            throw new TaskArgumentException(
                $"{typeof(TArgs).Name} argument '{JsonNamingPolicy.SnakeCaseLower.ConvertName(parameter.Name!)}' must be {parameter.ParameterType.Name}, "
                + $"not the JSON {element.ValueKind.ToString().ToLowerInvariant()} {Excerpt(element)}.", ex);
        }
    }

    // Enough of the value to recognise it in a FAILURE, not a whole payload.
    private static string Excerpt(JsonElement element)
    {
        var text = element.GetRawText();
        return text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
    }
}

/// <summary>The message's arguments do not fit the task's argument record (Python would raise TypeError).</summary>
public sealed class TaskArgumentException(string message, Exception? innerException = null)
    : TaskException(ExceptionInfo.Create("TypeError", "builtins", message), innerException);
