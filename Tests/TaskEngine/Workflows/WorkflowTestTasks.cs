using System.Collections.Concurrent;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Tests.TaskEngine.Workflows;

/// <summary>What the workflow test tasks saw, in order.</summary>
internal sealed class WorkflowRecorder
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public int Count(string prefix) => Calls.Count(call => call.StartsWith(prefix, StringComparison.Ordinal));
}

public sealed record LabelArgs(string Label);

public sealed record CollectArgs(JsonElement Values);

public sealed record CompensateArgs(string FailedTaskId, JsonElement StepResult, string Label);

/// <summary>Returns "label#n", n counting every run: a re-executed part returns a different result.</summary>
internal sealed class CounterHandler(WorkflowRecorder recorder) : ITaskHandler<LabelArgs>
{
    public ValueTask<object?> HandleAsync(LabelArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Calls.Enqueue("counter:" + args.Label);
        return ValueTask.FromResult<object?>($"{args.Label}#{recorder.Count("counter:" + args.Label)}");
    }
}

/// <summary>A chord body that records each run and returns what it got.</summary>
internal sealed class CollectHandler(WorkflowRecorder recorder) : ITaskHandler<CollectArgs>
{
    public ValueTask<object?> HandleAsync(CollectArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Calls.Enqueue("collect:" + args.Values.GetRawText());
        return ValueTask.FromResult<object?>(args.Values);
    }
}

/// <summary>A saga step: returns "label-ok".</summary>
internal sealed class StepHandler(WorkflowRecorder recorder) : ITaskHandler<LabelArgs>
{
    public ValueTask<object?> HandleAsync(LabelArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Calls.Enqueue("step:" + args.Label);
        return ValueTask.FromResult<object?>(args.Label + "-ok");
    }
}

/// <summary>A compensation: records (failed id, step result, label).</summary>
internal sealed class CompensateHandler(WorkflowRecorder recorder) : ITaskHandler<CompensateArgs>
{
    public ValueTask<object?> HandleAsync(CompensateArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        recorder.Calls.Enqueue($"compensate:{args.Label}:{args.StepResult.GetString()}:{args.FailedTaskId}");
        return ValueTask.FromResult<object?>("undone " + args.Label);
    }
}
