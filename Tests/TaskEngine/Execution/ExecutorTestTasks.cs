using Onboarding.TaskEngine.Abstractions;
using Onboarding.Tests.TaskEngine.InMemory;

namespace Onboarding.Tests.TaskEngine.Execution;

public sealed record AddArgs(int X, int Y);

public sealed record SumArgs(int[] Values);

/// <summary>Adds two numbers.</summary>
internal sealed class AddHandler(HandlerProbe probe) : ITaskHandler<AddArgs>
{
    public ValueTask<object?> HandleAsync(AddArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Ran($"add({args.X}, {args.Y})");
        return ValueTask.FromResult<object?>(args.X + args.Y);
    }
}

/// <summary>Sums a chord's header results.</summary>
internal sealed class SumHandler(HandlerProbe probe) : ITaskHandler<SumArgs>
{
    public ValueTask<object?> HandleAsync(SumArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Ran($"sum([{string.Join(", ", args.Values)}])");
        return ValueTask.FromResult<object?>(args.Values.Sum());
    }
}

/// <summary>Always throws <see cref="InvalidOperationException"/> (a task option may retry on it).</summary>
internal sealed class FlakyHandler(HandlerProbe probe) : ITaskHandler<NoArgs>
{
    public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Ran("flaky");
        throw new InvalidOperationException("The service is down.");
    }
}

/// <summary>Asks for a retry in 30 s on its first run, then succeeds.</summary>
internal sealed class RetryOnceHandler(HandlerProbe probe) : ITaskHandler<NoArgs>
{
    public static readonly TimeSpan Countdown = TimeSpan.FromSeconds(30);

    public ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Ran($"retry-once #{context.Retries}");
        if (context.Retries == 0)
        {
            throw context.Retry(new TimeoutException("Not yet."), Countdown);
        }

        return ValueTask.FromResult<object?>("done");
    }
}

/// <summary>Runs until its token fires (a time limit, a revoke, shutdown).</summary>
internal sealed class BlockingHandler(HandlerProbe probe) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        probe.Ran("blocking");
        await Task.Delay(Timeout.Infinite, cancellationToken);
        return null;
    }
}
