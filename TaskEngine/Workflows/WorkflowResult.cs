using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Workflows;

/// <summary>
/// A handle on a workflow's result (Celery's <c>AsyncResult</c> with its <c>parent</c> chain). For a chain it is the
/// last step, whose parents are the earlier steps; for a chord, the body, whose parent is the header group.
/// </summary>
public class WorkflowResult
{
    private protected WorkflowResult(string id, WorkflowResult? parent, WorkflowResultServices services)
    {
        Id = id;
        Parent = parent;
        Services = services;
    }

    /// <summary>The task id (a group id for <see cref="GroupResult"/>).</summary>
    public string Id { get; }

    /// <summary>The result this one follows (the previous chain step, a chord's header), or null.</summary>
    public WorkflowResult? Parent { get; }

    /// <summary>The id the workflow is indexed under (its first task, or its first group): pass it to <see cref="IWorkflowStatusReader"/>.</summary>
    public string RootId => Parent?.RootId ?? Id;

    private protected WorkflowResultServices Services { get; }

    private protected IResultBackend Backend => Services.Backend;

    internal static WorkflowResult From(ResultTuple tuple, WorkflowResultServices services)
    {
        var parent = tuple.Parent is { } p ? From(p, services) : null;
        return tuple.Children is { } children
            ? new GroupResult(tuple.Id, [.. children.Select(child => From(child, services))], parent, services)
            : new WorkflowResult(tuple.Id, parent, services);
    }

    internal virtual ResultTuple ToTuple() => new(Id, Parent?.ToTuple());

    /// <summary>The stored state of this task; PENDING when nothing is stored.</summary>
    public virtual async Task<TaskState> GetStateAsync(CancellationToken cancellationToken = default) =>
        (await Backend.GetAsync(Id, cancellationToken).ConfigureAwait(false))?.State ?? TaskState.Pending;

    /// <summary>
    /// Waits for the result. Like Celery's <c>get(follow_parents=True)</c>, throws <see cref="TaskFailedException"/>
    /// when a parent (for a chord body: a header part) failed, even before this task's own result exists: parents are
    /// read at once and then every <see cref="DependencyInjection.TaskEngineOptions.ResultPollInterval"/>;
    /// <see cref="TimeoutException"/> on timeout.
    /// </summary>
    public virtual async Task<JsonElement> GetAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var own = Backend.WaitAsync(Id, null, timeout, stop.Token);
        var parentIds = new List<string>();
        for (var parent = Parent; parent is not null; parent = parent.Parent)
        {
            parentIds.AddRange(LeafIds(parent));
        }

        // Parents are polled, as Celery polls them: a subscription per parent cost a 4-step chain 9 of its ~20 Redis
        // commands (SUBSCRIBE, GET, UNSUBSCRIBE each) and a 1,000-part chord 3,000, to report a failure that is rare
        // sooner than the poll interval.
        var parentFailed = new TaskCompletionSource<ResultMeta>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = PollParentsAsync(parentIds, parentFailed, stop.Token);

        try
        {
            await Task.WhenAny(own, parentFailed.Task).ConfigureAwait(false);

            // Parents first, as Celery checks them before the task itself.
            if (parentFailed.Task.IsCompleted)
            {
                var failed = parentFailed.Task.Result;
                throw new TaskFailedException(failed.TaskId, failed.State, failed.Exception, failed.Traceback);
            }

            var meta = await own.ConfigureAwait(false);
            if (meta.State != TaskState.Success && parentIds.Count > 0)
            {
                // A chord body's ChordError or a failed step: report the parent that failed first, as Celery does.
                var metas = await Backend.GetManyAsync(parentIds, cancellationToken).ConfigureAwait(false);
                if (metas.FirstOrDefault(parent => parent is { State: TaskState.Failure or TaskState.Revoked }) is { } parentMeta)
                {
                    throw new TaskFailedException(parentMeta.TaskId, parentMeta.State, parentMeta.Exception, parentMeta.Traceback);
                }
            }

            return meta.State == TaskState.Success
                ? meta.Result
                : throw new TaskFailedException(meta.TaskId, meta.State, meta.Exception, meta.Traceback);
        }
        finally
        {
            // Ends the parent waits still subscribed; their cancellations are observed by the continuations above.
            await stop.CancelAsync().ConfigureAwait(false);
            _ = own.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    // Reads the parents not yet succeeded in one MGET, now and every ResultPollInterval, until one failed or all
    // succeeded. Ends quietly when the wait is over; Redis errors are the task's own wait's to report.
    private async Task PollParentsAsync(List<string> parentIds, TaskCompletionSource<ResultMeta> parentFailed, CancellationToken stop)
    {
        IReadOnlyList<string> pending = parentIds;
        try
        {
            while (pending.Count > 0)
            {
                try
                {
                    var metas = await Backend.GetManyAsync(pending, stop).ConfigureAwait(false);
                    if (metas.FirstOrDefault(meta => meta is { State: TaskState.Failure or TaskState.Revoked }) is { } failed)
                    {
                        parentFailed.TrySetResult(failed);
                        return;
                    }

                    pending = [.. pending.Where((_, i) => metas[i] is not { State: TaskState.Success })];
                }
                catch (Exception ex) when (Backend.IsTransient(ex))
                {
                    // Tried again at the next interval.
                }

                await Task.Delay(Backend.ResultPollInterval, Services.TimeProvider, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    // The task ids a parent stands for: itself, or every member of a group (a chord's header parts).
    private static IEnumerable<string> LeafIds(WorkflowResult result) =>
        result is GroupResult group ? group.Children.SelectMany(LeafIds) : [result.Id];

    /// <summary>Like <see cref="GetAsync(TimeSpan, CancellationToken)"/>, deserializing the result.</summary>
    public async Task<T?> GetAsync<T>(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var result = await GetAsync(timeout, cancellationToken).ConfigureAwait(false);
        return result.ValueKind == JsonValueKind.Undefined ? default : result.Deserialize<T>(TaskJson.Options);
    }
}

/// <summary>Celery's <c>GroupResult</c>: the group id, the member handles in order, save and restore.</summary>
public sealed class GroupResult : WorkflowResult
{
    internal GroupResult(
        string id, IReadOnlyList<WorkflowResult> children, WorkflowResult? parent, WorkflowResultServices services)
        : base(id, parent, services) => Children = children;

    /// <summary>The members, in group order.</summary>
    public IReadOnlyList<WorkflowResult> Children { get; }

    internal override ResultTuple ToTuple() => new(Id, Parent?.ToTuple(), [.. Children.Select(child => child.ToTuple())]);

    /// <summary>SUCCESS when every member succeeded, FAILURE/REVOKED when one did, PENDING otherwise.</summary>
    public override async Task<TaskState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var states = new List<TaskState>(Children.Count);
        foreach (var child in Children)
        {
            states.Add(await child.GetStateAsync(cancellationToken).ConfigureAwait(false));
        }

        return states.FirstOrDefault(state => state is TaskState.Failure or TaskState.Revoked) is var failed && failed != default
            ? failed
            : states.All(state => state == TaskState.Success) ? TaskState.Success : TaskState.Pending;
    }

    /// <summary>Waits for every member; the results in group order (a nested group's results as a list).</summary>
    public async Task<IReadOnlyList<JsonElement>> GetResultsAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var started = Services.TimeProvider.GetTimestamp();
        var results = new List<JsonElement>(Children.Count);
        foreach (var child in Children)
        {
            var remaining = timeout - Services.TimeProvider.GetElapsedTime(started);
            results.Add(await child.GetAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>The results in group order, as one JSON list.</summary>
    public override async Task<JsonElement> GetAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        JsonArgs.ToElement(await GetResultsAsync(timeout, cancellationToken).ConfigureAwait(false));

    /// <summary>Celery's <c>GroupResult.save()</c>: <c>celery-taskset-meta-&lt;gid&gt;</c> = <c>{"result": [[gid, null], [...]]}</c>.</summary>
    public Task SaveAsync(CancellationToken cancellationToken = default) =>
        Services.Store.SaveGroupAsync(Id, ResultTuple.GroupMetaJson(ToTuple() with { Parent = null }), cancellationToken);
}

/// <summary>What result handles read through.</summary>
internal sealed record WorkflowResultServices(IResultBackend Backend, IWorkflowStore Store, TimeProvider TimeProvider);
