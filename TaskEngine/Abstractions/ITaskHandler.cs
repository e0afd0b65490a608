namespace Onboarding.TaskEngine.Abstractions;

/// <summary>
/// Runs one task. Resolved from a DI scope per execution. The token fires on the soft time limit, on revoke and
/// when the worker gives up waiting at shutdown. The return value is stored as the task's result (JSON).
/// </summary>
public interface ITaskHandler<in TArgs>
{
    ValueTask<object?> HandleAsync(TArgs args, TaskContext context, CancellationToken cancellationToken);
}

/// <summary>Arguments for tasks that take none.</summary>
public sealed record NoArgs;
