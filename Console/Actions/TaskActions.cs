using Onboarding.OperationsConsole.Indexing;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;

namespace Onboarding.OperationsConsole.Actions;

/// <summary>What an operator does to one task: revoke it, terminate it while it runs, or send it again.</summary>
public sealed class TaskActions(ITaskClient client, IWorkerControl control, TaskIndex index)
{
    private static readonly ControlOptions Quick = new() { Timeout = TimeSpan.FromMilliseconds(500) };

    /// <summary>
    /// Revokes: the engine's durable revoke (Redis, with a TTL, checked by our workers on receipt and before start, so a
    /// countdown task never runs) plus Celery's broadcast revoke, which Python workers keep in memory.
    /// With <paramref name="terminate"/> the worker running it also stops it.
    /// </summary>
    public async Task RevokeAsync(string id, bool terminate, CancellationToken cancellationToken)
    {
        await client.RevokeAsync(id, cancellationToken).ConfigureAwait(false);
        await control.RevokeAsync([id], terminate, options: Quick, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the task again under a new id with the same name, arguments and queue, as a child of the original (so the
    /// original's page and workflow show it), and links both in the index. Null when the index does not know the task.
    /// </summary>
    /// <exception cref="FormatException">The event carried arguments that cannot be read back (shortened or object reprs).</exception>
    public async Task<string?> RetryAsync(string id, CancellationToken cancellationToken)
    {
        if (await index.GetAsync(id).ConfigureAwait(false) is not { Name: { } name } task)
        {
            return null;
        }

        var args = PythonLiteral.Args(task.Args);
        var kwargs = PythonLiteral.Kwargs(task.Kwargs);
        var result = await client.SendAsync(name, args, kwargs, new TaskSendOptions
        {
            Queue = task.Queue,
            ParentId = task.Id,
            RootId = task.RootId ?? task.Id,
        }, cancellationToken).ConfigureAwait(false);
        await index.LinkRetryAsync(task.Id, result.Id).ConfigureAwait(false);
        return result.Id;
    }
}
