using System.Collections.Concurrent;
using System.Threading.Channels;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.UserService.Workflows;

/// <summary>One task of a staged run, with its id chosen before it is sent (so status endpoints know it at once).</summary>
internal sealed record StagedTask(string TaskName, object Args, string TaskId);

/// <summary>
/// INTERIM, deleted when <c>ITaskClient.ApplyAsync(canvas)</c> lands: runs stages in order, the tasks of a stage in
/// parallel, sending a stage only when every task of the previous one succeeded (chain → group → task). A failed
/// task ends the run; later stages are never sent and stay PENDING. Runs live in this process only: a restart
/// loses the stages not yet sent, which the workflow engine's in-message chain will not.
/// </summary>
internal sealed class InterimStageRunner(ITaskClient tasks, ILogger<InterimStageRunner> logger) : BackgroundService
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);
    private readonly Channel<IReadOnlyList<IReadOnlyList<StagedTask>>> _runs = Channel.CreateUnbounded<IReadOnlyList<IReadOnlyList<StagedTask>>>();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    /// <summary>Sends the first stage now and queues the rest.</summary>
    public async Task StartAsync(IReadOnlyList<IReadOnlyList<StagedTask>> stages, CancellationToken cancellationToken)
    {
        var rootId = stages[0][0].TaskId;
        await SendStageAsync(stages[0], rootId, cancellationToken).ConfigureAwait(false);
        await _runs.Writer.WriteAsync(stages, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var stages in _runs.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                var run = ContinueAsync(stages, stoppingToken);
                _running.TryAdd(run, 0);
                _ = run.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        finally
        {
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
    }

    private async Task ContinueAsync(IReadOnlyList<IReadOnlyList<StagedTask>> stages, CancellationToken stoppingToken)
    {
        var rootId = stages[0][0].TaskId;
        try
        {
            for (var i = 0; i < stages.Count; i++)
            {
                if (i > 0)
                {
                    await SendStageAsync(stages[i], rootId, stoppingToken).ConfigureAwait(false);
                }

                foreach (var step in stages[i])
                {
                    await tasks.GetResult(step.TaskId).GetAsync(StepTimeout, stoppingToken).ConfigureAwait(false);
                }
            }
        }
        catch (TaskFailedException ex)
        {
            UserServiceLog.WorkflowStepFailed(logger, rootId, ex.TaskId, ex.State.ToWireName());
        }
        catch (TimeoutException)
        {
            UserServiceLog.WorkflowStepTimedOut(logger, rootId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the stages not sent yet are lost (see the class comment).
        }
    }

    private async Task SendStageAsync(IReadOnlyList<StagedTask> stage, string rootId, CancellationToken cancellationToken)
    {
        foreach (var step in stage)
        {
            await tasks.SendAsync(
                step.TaskName,
                step.Args,
                new TaskSendOptions { TaskId = step.TaskId, RootId = rootId, ParentId = step.TaskId == rootId ? null : rootId },
                cancellationToken).ConfigureAwait(false);
        }
    }
}
