using System.Collections.Concurrent;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Tests.TaskEngine.Integration;

public sealed record WelcomeArgs(int UserId, string Email);

internal sealed class SendWelcomeEmailHandler : ITaskHandler<WelcomeArgs>
{
    public ValueTask<object?> HandleAsync(WelcomeArgs args, TaskContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult<object?>($"welcome {args.Email} #{args.UserId}");
}

internal sealed class TransientException(string message) : Exception(message);

/// <summary>What handlers saw, for assertions.</summary>
internal sealed class Recorder
{
    public ConcurrentQueue<(string Id, int Retries)> Runs { get; } = new();
}

/// <summary>Fails with <see cref="TransientException"/> until the given retry count is reached.</summary>
internal sealed class FlakyHandler(Recorder recorder) : ITaskHandler<FlakyArgs>
{
    public ValueTask<object?> HandleAsync(FlakyArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Runs.Enqueue((context.Id, context.Retries));
        return context.Retries < args.SucceedOnRetry
            ? throw new TransientException($"transient {context.Retries}")
            : ValueTask.FromResult<object?>(context.Retries);
    }
}

public sealed record FlakyArgs(int SucceedOnRetry);

/// <summary>Signals when a run starts and finishes when released.</summary>
internal sealed class Gate
{
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

internal sealed class GateHandler(Gate gate) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        gate.Started.TrySetResult();
        await gate.Release.Task.WaitAsync(cancellationToken);
        return "released";
    }
}

/// <summary>Waits on its token: ends only when revoked, limited or shut down.</summary>
internal sealed class WaitForCancelHandler(Gate gate) : ITaskHandler<NoArgs>
{
    public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        gate.Started.TrySetResult();
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        return null;
    }
}

/// <summary>Asks for a retry in 300 ms through <see cref="TaskContext.Retry"/> until the given retry count.</summary>
internal sealed class ExplicitRetryHandler(Recorder recorder) : ITaskHandler<FlakyArgs>
{
    public ValueTask<object?> HandleAsync(FlakyArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Runs.Enqueue((context.Id, context.Retries));
        return context.Retries < args.SucceedOnRetry
            ? throw context.Retry(new TransientException("again"), TimeSpan.FromMilliseconds(300))
            : ValueTask.FromResult<object?>(context.Retries);
    }
}
