using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;

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
            .AddTask<XsumArgs, XsumHandler>(Xsum);
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
            ValueTask.FromResult(Sum([args.X, args.Y]));
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
                throw new ArgumentException("numbers must be a list", nameof(args));
            }

            var numbers = new List<JsonElement>(args.Numbers.GetArrayLength());
            foreach (var number in args.Numbers.EnumerateArray())
            {
                numbers.Add(number);
            }

            return ValueTask.FromResult(Sum(numbers));
        }
    }

    /// <summary>Integers stay integers (Python int semantics); any float makes the sum a float.</summary>
    private static object? Sum(IReadOnlyList<JsonElement> numbers)
    {
        long integer = 0;
        double real = 0;
        var isReal = false;
        foreach (var number in numbers)
        {
            if (!isReal && number.TryGetInt64(out var value))
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

                real += number.GetDouble();
            }
        }

        return isReal ? real : integer;
    }
}
