using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Diagnostics;

/// <summary>The built-in tasks every worker registers (like the seed's <c>debug_task</c>).</summary>
public static class DiagnosticTasks
{
    public const string Ping = "diagnostics.ping";
    public const string Noop = "diagnostics.noop";
    public const string Add = "diagnostics.add";
    public const string Echo = "diagnostics.echo";
    public const string Sleep = "diagnostics.sleep";
    public const string Fail = "diagnostics.fail";
    public const string Xsum = "diagnostics.xsum";

    /// <summary>
    /// Sleeps like <see cref="Sleep"/>, then appends the task id as one line to <c>&lt;log&gt;.&lt;pid&gt;</c>, where
    /// <c>&lt;log&gt;</c> is the <see cref="ExecutionLogSetting"/> path: the evidence the fault suite counts "ran twice"
    /// with. Without the setting it only sleeps.
    /// </summary>
    public const string Record = "diagnostics.record";

    /// <summary>
    /// The configuration key of <see cref="Record"/>'s execution log. A file rather than Redis, so that counting
    /// executions works while Redis is the thing that is down, and a line is written (one append, no buffering)
    /// before the handler returns, so a worker SIGKILLed after its handler finished still leaves it.
    /// </summary>
    public const string ExecutionLogSetting = "TaskEngine:Diagnostics:ExecutionLog";

    /// <summary>Registers the diagnostics tasks (AddTaskWorker does this).</summary>
    public static ITaskEngineBuilder AddDiagnosticTasks(this ITaskEngineBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder
            .AddTask<NoArgs, PingHandler>(Ping)
            .AddTask<NoArgs, NoopHandler>(Noop)
            .AddTask<AddArgs, AddHandler>(Add)
            .AddTask<EchoArgs, EchoHandler>(Echo)
            .AddTask<SleepArgs, SleepHandler>(Sleep)
            .AddTask<FailArgs, FailHandler>(Fail, o => o.MaxRetries = 0)
            .AddTask<XsumArgs, XsumHandler>(Xsum)
            .AddTask<SleepArgs, RecordHandler>(Record);
    }

    public sealed record AddArgs(JsonElement X, JsonElement Y);

    public sealed record EchoArgs(JsonElement Value);

    public sealed record SleepArgs(double Seconds);

    public sealed record FailArgs(string Message = "diagnostics.fail");

    public sealed record XsumArgs(JsonElement Numbers);

    internal sealed class PingHandler : ITaskHandler<NoArgs>
    {
        public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>("pong");
    }

    internal sealed class NoopHandler : ITaskHandler<NoArgs>
    {
        public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>(null);
    }

    internal sealed class AddHandler : ITaskHandler<AddArgs>
    {
        public ValueTask<object?> HandleAsync(AddArgs args, TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(PythonAdd(args.X, args.Y));
    }

    internal sealed class EchoHandler : ITaskHandler<EchoArgs>
    {
        public ValueTask<object?> HandleAsync(EchoArgs args, TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>(args.Value);
    }

    internal sealed class SleepHandler(TimeProvider timeProvider) : ITaskHandler<SleepArgs>
    {
        public async ValueTask<object?> HandleAsync(SleepArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(args.Seconds), timeProvider, cancellationToken).ConfigureAwait(false);
            // The argument as the caller wrote it, as Python returns it: sleep(2) gives 2, sleep(1.0) gives 1.0.
            var message = context.Message;
            return message.Args.Count > 0 ? message.Args[0]
                : message.Kwargs.TryGetValue("seconds", out var named) ? named
                : args.Seconds;
        }
    }

    internal sealed class RecordHandler(TimeProvider timeProvider, IConfiguration configuration) : ITaskHandler<SleepArgs>
    {
        // One writer per process: .NET's append mode seeks to the end rather than opening with O_APPEND, so
        // concurrent appends to one file could overwrite each other. Each process writes its own file.
        private static readonly Lock Gate = new();

        public async ValueTask<object?> HandleAsync(SleepArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromSeconds(args.Seconds), timeProvider, cancellationToken).ConfigureAwait(false);
            if (configuration[ExecutionLogSetting] is { Length: > 0 } path)
            {
                lock (Gate)
                {
                    File.AppendAllText($"{path}.{Environment.ProcessId}", context.Id + "\n");
                }
            }

            return args.Seconds;
        }
    }

    internal sealed class FailHandler : ITaskHandler<FailArgs>
    {
        public ValueTask<object?> HandleAsync(FailArgs args, TaskContext context, CancellationToken cancellationToken) =>
            throw new InvalidOperationException(args.Message);
    }

    internal sealed class XsumHandler : ITaskHandler<XsumArgs>
    {
        public ValueTask<object?> HandleAsync(XsumArgs args, TaskContext context, CancellationToken cancellationToken)
        {
            if (args.Numbers.ValueKind != JsonValueKind.Array)
            {
                throw PythonTypeError($"'{PythonTypeName(args.Numbers)}' object is not iterable");
            }

            var numbers = new List<JsonElement>(args.Numbers.GetArrayLength());
            foreach (var number in args.Numbers.EnumerateArray())
            {
                numbers.Add(number);
            }

            return ValueTask.FromResult(Sum(numbers));
        }
    }

    /// <summary>
    /// Python's <c>x + y</c> on JSON values: numbers add (integers stay integers), strings and lists concatenate, and
    /// anything else raises Python's TypeError with Python's message, which is what a Celery client expects from a
    /// call whose arguments do not fit.
    /// </summary>
    private static object? PythonAdd(JsonElement x, JsonElement y)
    {
        if (IsNumber(x) && IsNumber(y))
        {
            return Sum([x, y]);
        }

        if (x.ValueKind == JsonValueKind.String && y.ValueKind == JsonValueKind.String)
        {
            return x.GetString() + y.GetString();
        }

        if (x.ValueKind == JsonValueKind.Array && y.ValueKind == JsonValueKind.Array)
        {
            return (List<JsonElement>)[.. x.EnumerateArray(), .. y.EnumerateArray()];
        }

        var left = PythonTypeName(x);
        throw PythonTypeError(x.ValueKind is JsonValueKind.String or JsonValueKind.Array
            ? $"can only concatenate {left} (not \"{PythonTypeName(y)}\") to {left}"
            : $"unsupported operand type(s) for +: '{left}' and '{PythonTypeName(y)}'");
    }

    /// <summary>Python's <c>sum(numbers)</c>: integers stay integers, any float makes the sum a float.</summary>
    private static object? Sum(IReadOnlyList<JsonElement> numbers)
    {
        long integer = 0;
        double real = 0;
        var isReal = false;
        foreach (var number in numbers)
        {
            if (!IsNumber(number))
            {
                throw PythonTypeError($"unsupported operand type(s) for +: '{(isReal ? "float" : "int")}' and '{PythonTypeName(number)}'");
            }

            if (!isReal && TryGetInteger(number, out var value))
            {
                integer = checked(integer + value);
            }
            else
            {
                if (!isReal)
                {
                    real = integer;
                    isReal = true;
                }

                real += number.ValueKind == JsonValueKind.Number ? number.GetDouble() : (number.GetBoolean() ? 1 : 0);
            }
        }

        // Boxed apart: "isReal ? real : integer" would be a double either way, and 3 would come back as 3.0.
        return isReal ? real : (object)integer;
    }

    // Python's bool is an int (True + 1 == 2).
    private static bool IsNumber(JsonElement value) => value.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False;

    private static bool TryGetInteger(JsonElement value, out long integer)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            return value.TryGetInt64(out integer);
        }

        integer = value.ValueKind == JsonValueKind.True ? 1 : 0;
        return true;
    }

    /// <summary>The Python type a JSON value decodes to (<c>json.loads</c>).</summary>
    private static string PythonTypeName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "str",
        JsonValueKind.Number => IsFloatLiteral(value.GetRawText()) ? "float" : "int",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "list",
        JsonValueKind.Object => "dict",
        _ => "NoneType",
    };

    private static bool IsFloatLiteral(string number) => number.AsSpan().IndexOfAny('.', 'e', 'E') >= 0;

    private static TaskException PythonTypeError(string message) =>
        new(ExceptionInfo.Create("TypeError", "builtins", message));
}
