using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.RateLimits;
using Onboarding.TaskEngine.Retry;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// Runs one delivery through the worker pipeline: decode → registered? → expired? → revoked? → due? → rate
/// limit → run with soft/hard limits → store the result → retry, fail or dead-letter.
/// </summary>
internal sealed class TaskExecutor(
    TaskRegistry registry,
    ITaskBroker broker,
    IResultBackend backend,
    RunningTasks running,
    IWorkflowCoordinator workflow,
    RevocationCache revocations,
    ResultStoreRetry storeRetry,
    WorkerState state,
    TaskEvents events,
    IServiceScopeFactory scopeFactory,
    IOptions<TaskEngineOptions> engineOptions,
    TimeProvider timeProvider,
    ILogger<TaskExecutor> logger)
{
    /// <summary>Messages due within this much are run, not delayed again.</summary>
    private readonly TimeSpan _dueTolerance = broker.MinDelay;

    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = CreateBuckets(registry, timeProvider);
    private readonly int _maxMessageBytes = engineOptions.Value.MaxMessageBytes;
    private readonly int _deliveryLimit = engineOptions.Value.DeliveryLimit;

    // Time limits set at run time (remote control's time_limit); they replace the registered ones.
    private readonly ConcurrentDictionary<string, (TimeSpan? Soft, TimeSpan? Hard)> _timeLimits = new(StringComparer.Ordinal);

    /// <summary>Replaces a task's rate limit in this worker (null removes it), as remote control's <c>rate_limit</c>.</summary>
    public void SetRateLimit(string taskName, RateLimit? limit)
    {
        if (limit is { } rate)
        {
            _buckets[taskName] = new TokenBucket(rate, timeProvider);
        }
        else
        {
            _buckets.TryRemove(taskName, out _);
        }
    }

    /// <summary>The rate limit in force for a task, or null.</summary>
    public RateLimit? RateLimitOf(string taskName) => _buckets.TryGetValue(taskName, out var bucket) ? bucket.Limit : null;

    /// <summary>Replaces a task's soft and hard time limits in this worker, as remote control's <c>time_limit</c>.</summary>
    public void SetTimeLimits(string taskName, TimeSpan? soft, TimeSpan? hard) => _timeLimits[taskName] = (soft, hard);

    /// <summary>The time limits in force for a task.</summary>
    public (TimeSpan? Soft, TimeSpan? Hard) TimeLimitsOf(string taskName) =>
        _timeLimits.TryGetValue(taskName, out var limits)
            ? limits
            : registry.OptionsFor(taskName) is { } options ? (options.SoftTimeLimit, options.TimeLimit) : (null, null);

    public async Task<DeliveryOutcome> ExecuteAsync(TaskDelivery delivery, Func<Task> ackEarly, CancellationToken abortToken)
    {
        if (delivery.Body.Length > _maxMessageBytes)
        {
            // Not deserialized: the limit exists so that such a body costs no more than it already has.
            return await RejectAsync(delivery, new TaskProtocolException(
                TooLargeReason, TooLargeDetail(delivery.Body.Length, _maxMessageBytes),
                TaskEnvelope.TaskId(delivery.Headers, delivery.CorrelationId),
                delivery.Headers is { } headers ? TaskEnvelope.AsString(headers.TryGetValue("task", out var task) ? task : null) : null), abortToken)
                .ConfigureAwait(false);
        }

        TaskMessage message;
        try
        {
            message = TaskEnvelope.Decode(
                delivery.Headers, delivery.Body, delivery.ContentType, delivery.ReplyTo, delivery.Priority, delivery.CorrelationId);
        }
        catch (TaskProtocolException ex)
        {
            return await RejectAsync(delivery, ex, abortToken).ConfigureAwait(false);
        }

        if (delivery.PossibleDuplicate)
        {
            message = message with { PossibleDuplicate = true };
        }

        var tags = TaskEngineDiagnostics.TaskTags(message.Name, delivery.Queue);
        TaskEngineDiagnostics.Received.Add(1, tags);
        // A copy that comes back from a delay queue was announced when it first arrived.
        var announcedNow = events.Enabled && !delivery.ReceivedAnnounced;
        if (announcedNow)
        {
            events.Received(message);
        }

        using var activity = StartProcessActivity(message, delivery);

        if (!registry.TryGet(message.Name, out var registration))
        {
            await DeadLetterAsync(delivery, message.Id, "not-registered", $"Task '{message.Name}' is not registered in this worker.")
                .ConfigureAwait(false);
            events.Failed(message.Id, ExceptionInfo.Create("NotRegistered", "celery.exceptions", message.Name), null);
            activity?.SetStatus(ActivityStatusCode.Error, "not registered");
            return await StoreAsync(message, TaskState.Failure, ExceptionInfo.Create("NotRegistered", "celery.exceptions", message.Name), null, abortToken)
                .ConfigureAwait(false);
        }

        if (delivery.PossibleDuplicate && !message.IgnoreResult && !registration.Options.IgnoreResult
            && await backend.GetAsync(message.Id, abortToken).ConfigureAwait(false) is { State: TaskState.Success } stored)
        {
            // A worker stored SUCCESS but died (or lost its connection) before the ack, or a second copy of the message
            // got in: do not run it twice
            // (Celery's worker_deduplicate_successful_tasks, on by default here). The chord part return comes after
            // the store, so it may not have happened: repeat it (it counts a task id once, and the body fires once).
            TaskEngineLog.DuplicateSkipped(logger, message.Name, message.Id);
            await workflow.OnSuccessStoredAsync(message, stored.Result, CancellationToken.None).ConfigureAwait(false);
            return DeliveryOutcome.AckNow;
        }

        if (delivery.DeliveryCount >= _deliveryLimit)
        {
            return await FailAtDeliveryLimitAsync(message, delivery, abortToken).ConfigureAwait(false);
        }

        var now = timeProvider.GetUtcNow();
        if (message.Expires is { } expires && expires <= now)
        {
            return await RevokeAsync(message, "expired", abortToken).ConfigureAwait(false);
        }

        if (await revocations.IsRevokedAsync(message.Id, HasCallerChosenId(message), abortToken).ConfigureAwait(false))
        {
            return await RevokeAsync(message, "revoked", abortToken).ConfigureAwait(false);
        }

        if (message.Eta is { } eta && eta - now > _dueTolerance)
        {
            await broker.DelayAsync(Parked(delivery, announcedNow), eta - now, CancellationToken.None).ConfigureAwait(false);
            return DeliveryOutcome.AckNow;
        }

        if (_buckets.TryGetValue(message.Name, out var bucket) && !bucket.TryTake(out var wait))
        {
            // Over the rate: the message waits in a delay queue, not in this worker; it comes back due.
            await broker.DelayAsync(Parked(delivery, announcedNow), wait < _dueTolerance * 2 ? _dueTolerance * 2 : wait, CancellationToken.None).ConfigureAwait(false);
            return DeliveryOutcome.AckNow;
        }

        var options = registration.Options;
        var outcome = DeliveryOutcome.AckNow;
        if (!options.AcksLate)
        {
            await ackEarly().ConfigureAwait(false);
            outcome = DeliveryOutcome.AlreadyAcked;
        }

        var lagFrom = message.Eta ?? delivery.Timestamp;
        if (lagFrom is { } due)
        {
            TaskEngineDiagnostics.QueueLag.Record(Math.Max(0, (now - due).TotalSeconds), tags);
        }

        if (options.TrackStarted && !message.IgnoreResult && !options.IgnoreResult)
        {
            await StoreAsync(message.Id, ResultMetaWriter.Write(message.Id, TaskState.Started, w =>
            {
                w.WriteStartObject();
                w.WriteNumber("pid", Environment.ProcessId);
                w.WriteString("hostname", Environment.MachineName);
                w.WriteEndObject();
            }, null, null, message.GroupId, message.ParentId)).ConfigureAwait(false);
        }

        var result = await RunAsync(registration, message, delivery, tags, activity, abortToken).ConfigureAwait(false);

        // An acks-early message belongs to nobody once acked: it cannot be requeued (a nack of an acked tag is a
        // channel error), so an interrupted acks-early task is lost, as with Celery's acks_late=False.
        if (result == DeliveryOutcome.Requeue && outcome != DeliveryOutcome.AlreadyAcked && !abortToken.IsCancellationRequested)
        {
            TaskEngineLog.LeftForRedelivery(logger, message.Name, message.Id);
        }

        return outcome == DeliveryOutcome.AlreadyAcked ? DeliveryOutcome.AlreadyAcked : result;
    }

    /// <summary>The copy to park in a delay queue: marked when its task-received just went out, so it is not announced twice.</summary>
    private static TaskDelivery Parked(TaskDelivery delivery, bool announcedNow) =>
        !announcedNow
            ? delivery
            : delivery with
            {
                Headers = new Dictionary<string, object?>(delivery.Headers ?? new Dictionary<string, object?>(), StringComparer.Ordinal)
                {
                    [MessageHeaders.ReceivedAnnounced] = true,
                },
            };

    private async Task<DeliveryOutcome> RunAsync(
        TaskRegistration registration, TaskMessage message, TaskDelivery delivery, TagList tags, Activity? activity,
        CancellationToken abortToken)
    {
        var options = registration.Options;
        var limits = _timeLimits.TryGetValue(message.Name, out var changed) ? changed : (Soft: options.SoftTimeLimit, Hard: options.TimeLimit);
        var soft = message.SoftTimeLimit is { } softSeconds ? TimeSpan.FromSeconds(softSeconds) : limits.Soft;
        var hard = message.TimeLimit is { } hardSeconds ? TimeSpan.FromSeconds(hardSeconds) : limits.Hard;

        using var revoke = new CancellationTokenSource();
        using var softLimit = soft is { } softDelay ? new CancellationTokenSource(softDelay, timeProvider) : new CancellationTokenSource();
        // Both limits start before the handler does, so that a handler cannot run past them unnoticed however late this
        // thread gets back here (the hard one is not linked: the handler may ignore its token, and the run is abandoned).
        using var hardLimit = hard is { } hardDelay ? new CancellationTokenSource(hardDelay, timeProvider) : null;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abortToken, revoke.Token, softLimit.Token);
        var context = new TaskContext(message, delivery.Queue, delivery.Redelivered);
        running.Add(message.Id, revoke);
        state.Start(message, delivery, acknowledged: !options.AcksLate);
        events.Started(message.Id);
        var started = timeProvider.GetTimestamp();
        // Only a possible duplicate asks (another copy may finish first); asked now so that the round trip overlaps
        // the run. A message published once and delivered once has no Redis round trip before its next chain step.
        var rerunCheck = delivery.PossibleDuplicate ? workflow.StartRerunCheck(message) : null;
        var run = InvokeAsync(registration, context, linked.Token);
        object? value;
        try
        {
            value = hardLimit is null
                ? await run.WaitAsync(abortToken).ConfigureAwait(false)
                : await WaitWithinAsync(run, hardLimit.Token, abortToken).ConfigureAwait(false);
        }
        catch (TimeoutException) when (!run.IsCompleted && hard is { } limit)
        {
            // Hard limit: cancel, abandon (the slot is freed now) and store what billiard stores.
            linked.Cancel();
            Abandon(run, message);
            TaskEngineLog.HardTimeLimit(logger, message.Name, message.Id, limit.TotalSeconds);
            TaskEngineDiagnostics.Failed.Add(1, tags);
            activity?.SetStatus(ActivityStatusCode.Error, "TimeLimitExceeded");
            var exceeded = ExceptionInfo.Create("TimeLimitExceeded", "billiard.exceptions", Seconds(limit));
            events.Failed(message.Id, exceeded, null);
            return await StoreAsync(message, TaskState.Failure, exceeded, null, abortToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abortToken.IsCancellationRequested && !run.IsCompleted)
        {
            // Shutdown grace period over: cancel the handler and give the message back to the broker.
            linked.Cancel();
            Abandon(run, message);
            return DeliveryOutcome.Requeue;
        }
        catch (OperationCanceledException) when (revoke.IsCancellationRequested)
        {
            return await RevokeAsync(message, "terminated", abortToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (abortToken.IsCancellationRequested)
        {
            // The handler honoured the shutdown token before finishing: run it again elsewhere.
            activity?.AddException(ex);
            return DeliveryOutcome.Requeue;
        }
        catch (Exception ex)
        {
            var failure = ex is OperationCanceledException && softLimit.IsCancellationRequested
                ? new TaskException(ExceptionInfo.Create("SoftTimeLimitExceeded", "billiard.exceptions", Seconds(soft!.Value)), ex)
                : ex;
            activity?.AddException(failure);
            activity?.SetStatus(ActivityStatusCode.Error, failure.Message);
            return await FailAsync(registration, message, delivery, failure, tags, abortToken).ConfigureAwait(false);
        }
        finally
        {
            running.Remove(message.Id);
            state.Finish(message.Id);
            // Not awaited when the task failed: its error (Redis away) is observed here.
            _ = rerunCheck?.ContinueWith(
                static check => _ = check.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        // The handler succeeded: Redis being away does not turn it into a FAILURE. A store that fails for that reason
        // is retried (ResultStoreRetry); if that gives up, the message is left for redelivery, and the redelivered copy
        // finds SUCCESS stored (skipped) or runs again, as after a worker crash. The retries live in catch blocks and
        // methods of their own, so that when Redis answers the first time this path costs what it did before.
        var seconds = timeProvider.GetElapsedTime(started).TotalSeconds;
        TaskEngineDiagnostics.Duration.Record(seconds, tags);
        TaskEngineDiagnostics.Succeeded.Add(1, tags);
        TaskEngineLog.TaskSucceeded(logger, message.Name, message.Id, seconds);
        try
        {
            // Workflow: callbacks and the next chain step go out before the result is stored, then the chord part returns.
            string? children;
            try
            {
                children = await workflow.OnSucceededAsync(message, value, rerunCheck, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (storeRetry.IsTransient(ex))
            {
                if (await RetryChildrenAsync(message, value, ex, abortToken).ConfigureAwait(false) is not { } sent)
                {
                    return DeliveryOutcome.Requeue;
                }

                children = sent.Children;
            }

            if (!message.IgnoreResult && !options.IgnoreResult)
            {
                var json = ResultMetaWriter.Success(message.Id, value, timeProvider.GetUtcNow(), message.GroupId, message.ParentId, children);
                try
                {
                    await StoreAsync(message.Id, json).ConfigureAwait(false);
                }
                catch (Exception ex) when (storeRetry.IsTransient(ex))
                {
                    if (!await RetryStoreAsync(message.Name, message.Id, "SUCCESS", json, ex, abortToken).ConfigureAwait(false))
                    {
                        return DeliveryOutcome.Requeue;
                    }
                }
            }

            try
            {
                await workflow.OnSuccessStoredAsync(message, value, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (storeRetry.IsTransient(ex))
            {
                if (!await RetryChordPartAsync(message, value, ex, abortToken).ConfigureAwait(false))
                {
                    return DeliveryOutcome.Requeue;
                }
            }

            // Sent once the outcome is stored: a store that gives up requeues the message, which is not a success yet.
            events.Succeeded(message.Id, value, seconds);
            return DeliveryOutcome.AckNow;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Not Redis being away (that is retried above) but, say, an embed that cannot be planned: a failure of the
            // task, as it always was, so that such a message cannot loop through the worker forever.
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            return await FailAsync(registration, message, delivery, ex, tags, abortToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> RetryStoreAsync(string name, string id, string what, byte[] json, Exception failure, CancellationToken abortToken) =>
        await storeRetry.RetryAsync(what, name, id, failure, () => StoreAsync(id, json), abortToken).ConfigureAwait(false);

    // Off the success path (which inlines the same, to spare a state machine per task): false when the retries gave up.
    private async Task<bool> StoreOrRetryAsync(string name, string id, string what, byte[] json, CancellationToken abortToken)
    {
        try
        {
            await StoreAsync(id, json).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (storeRetry.IsTransient(ex))
        {
            return await RetryStoreAsync(name, id, what, json, ex, abortToken).ConfigureAwait(false);
        }
    }

    private async Task<SentChildren?> RetryChildrenAsync(TaskMessage message, object? value, Exception failure, CancellationToken abortToken)
    {
        string? children = null;
        // Some children may be out already: the next attempt is a possible duplicate of this one.
        var again = message with { PossibleDuplicate = true };
        return await storeRetry.RetryAsync("children", message.Name, message.Id, failure, async () =>
            children = await workflow.OnSucceededAsync(again, value, workflow.StartRerunCheck(again), CancellationToken.None).ConfigureAwait(false),
            abortToken)
            .ConfigureAwait(false)
            ? new SentChildren(children)
            : null;
    }

    // A part return whose reply was lost may have counted the part and taken the chord's fired flag: the next attempt
    // is a possible duplicate, so that it sends the body again if its own name is on the flag.
    private async Task<bool> RetryChordPartAsync(TaskMessage message, object? value, Exception failure, CancellationToken abortToken)
    {
        var again = message with { PossibleDuplicate = true };
        return await storeRetry.RetryAsync("chord part return", message.Name, message.Id, failure,
            () => workflow.OnSuccessStoredAsync(again, value, CancellationToken.None), abortToken).ConfigureAwait(false);
    }

    private async Task<bool> RetryFailedHooksAsync(TaskMessage message, TaskState state, ExceptionInfo exception, Exception failure, CancellationToken abortToken)
    {
        var again = message with { PossibleDuplicate = true };
        return await storeRetry.RetryAsync("chord part return", message.Name, message.Id, failure,
            () => workflow.OnFailedAsync(again, state, exception, CancellationToken.None), abortToken).ConfigureAwait(false);
    }

    private sealed record SentChildren(string? Children);

    private async Task<DeliveryOutcome> FailAsync(
        TaskRegistration registration, TaskMessage message, TaskDelivery delivery, Exception exception, TagList tags,
        CancellationToken abortToken)
    {
        var decision = registration.Retry.Decide(exception, message.Retries, Random.Shared.NextDouble());
        var cause = decision.Cause;
        if (decision.Verdict == RetryVerdict.Retry)
        {
            var delay = decision.Delay;
            var next = message with
            {
                Retries = message.Retries + 1,
                Eta = timeProvider.GetUtcNow() + delay,
                ParentId = message.Id,
                RootId = message.RootId ?? message.Id,
                ArgsRepr = null,
                KwargsRepr = null,
                // A possible duplicate's retry may be the second retry of the same run.
                ExtraHeaders = WithoutDeadLetterHeaders(message.ExtraHeaders, delivery.PossibleDuplicate),
            };
            await broker.PublishAsync(next, delivery.Queue, CancellationToken.None).ConfigureAwait(false);
            TaskEngineDiagnostics.Retried.Add(1, tags);
            TaskEngineLog.TaskRetrying(logger, message.Name, message.Id, next.Retries, delay);
            var retried = ExceptionInfo.FromException(cause);
            events.Retried(message.Id, retried, cause.ToString());
            // The retry is out already: acked even if RETRY (a state nobody waits for) could not be stored, or it would run twice.
            await StoreAsync(message, TaskState.Retry, retried, cause.ToString(), abortToken).ConfigureAwait(false);
            return DeliveryOutcome.AckNow;
        }

        TaskEngineDiagnostics.Failed.Add(1, tags);
        TaskEngineLog.TaskFailed(logger, cause, message.Name, message.Id);
        if (decision.Verdict == RetryVerdict.Exhausted)
        {
            await DeadLetterAsync(delivery, message.Id, "retries-exhausted", MessageHeaders.Describe(cause)).ConfigureAwait(false);
        }

        var failed = ExceptionInfo.FromException(cause);
        events.Failed(message.Id, failed, cause.ToString());
        return await StoreAsync(message, TaskState.Failure, failed, cause.ToString(), abortToken).ConfigureAwait(false);
    }

    // A limit as Python holds it: time_limit=30 is the int 30 (stored as 30, not 30.0), 0.5 a float.
    private static object Seconds(TimeSpan limit) =>
        limit.Ticks % TimeSpan.TicksPerSecond == 0 ? (long)limit.TotalSeconds : limit.TotalSeconds;

    /// <summary>The dead-letter reason of a message larger than <see cref="TaskEngineOptions.MaxMessageBytes"/>.</summary>
    internal const string TooLargeReason = "too-large";

    internal static string TooLargeDetail(long size, int limit) =>
        $"The message body is {size} bytes, more than TaskEngine:MaxMessageBytes ({limit}).";

    // Not a task this worker can run: dead-lettered, then FAILURE InvalidTaskError where the id is known.
    private async Task<DeliveryOutcome> RejectAsync(TaskDelivery delivery, TaskProtocolException ex, CancellationToken abortToken)
    {
        TaskEngineDiagnostics.Received.Add(1, TaskEngineDiagnostics.TaskTags(ex.TaskName ?? "unknown", delivery.Queue));
        // Dead-letter first: once FAILURE is visible, the dead-lettered copy exists.
        await DeadLetterAsync(delivery, ex.TaskId, ex.Reason, ex.Message).ConfigureAwait(false);
        if (ex.TaskId is { } failedId)
        {
            // A message the worker refuses is Celery's reject (requeue=False).
            events.Rejected(failedId, requeue: false);
            var json = ResultMetaWriter.Exception(
                failedId, TaskState.Failure, ExceptionInfo.Create("InvalidTaskError", "celery.exceptions", ex.Message),
                null, timeProvider.GetUtcNow(), null, null);
            if (!await StoreOrRetryAsync(ex.TaskName ?? "unknown", failedId, "FAILURE", json, abortToken).ConfigureAwait(false))
            {
                return DeliveryOutcome.Requeue;
            }
        }

        return DeliveryOutcome.AckNow;
    }

    private async Task<object?> InvokeAsync(TaskRegistration registration, TaskContext context, CancellationToken cancellationToken)
    {
        // Off the consumer's stack: a handler that blocks cannot hold up the hard limit.
        await Task.Yield();
        var scope = scopeFactory.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            return await registration.Invoke(scope.ServiceProvider, context, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Abandon(Task run, TaskMessage message) =>
        running.Abandon(run, task =>
        {
            if (task.Exception is { } error && error.InnerException is not OperationCanceledException)
            {
                TaskEngineLog.AbandonedFaulted(logger, error, message.Name, message.Id);
            }
        });

    private async Task<DeliveryOutcome> RevokeAsync(TaskMessage message, string reason, CancellationToken abortToken)
    {
        TaskEngineDiagnostics.Revoked.Add(1, TaskEngineDiagnostics.TaskTags(message.Name, string.Empty));
        TaskEngineLog.TaskRevoked(logger, message.Name, message.Id, reason);
        events.Revoked(message.Id, terminated: reason == "terminated", expired: reason == "expired");
        return await StoreAsync(message, TaskState.Revoked, ExceptionInfo.Create("TaskRevokedError", "celery.exceptions", reason), null, abortToken)
            .ConfigureAwait(false);
    }

    /// <summary>The dead-letter reason of a message the quorum queue would not deliver again; the broker's own word for it.</summary>
    internal const string DeliveryLimitReason = "delivery_limit";

    // The quorum queue's last allowed delivery: returned once more (the worker killed again, say), the broker would
    // dead-letter it on its own and nothing would be stored, so a caller or a chord would wait for it forever. The worker
    // fails it instead: dead-lettered (replayable), FAILURE stored, errbacks and the chord's failure run.
    private async Task<DeliveryOutcome> FailAtDeliveryLimitAsync(TaskMessage message, TaskDelivery delivery, CancellationToken abortToken)
    {
        var detail = $"Delivered {delivery.DeliveryCount + 1} times without an ack (TaskEngine:DeliveryLimit is {_deliveryLimit}): "
            + "it may kill or stop its worker each time.";
        TaskEngineDiagnostics.Failed.Add(1, TaskEngineDiagnostics.TaskTags(message.Name, delivery.Queue));
        await DeadLetterAsync(delivery, message.Id, DeliveryLimitReason, detail).ConfigureAwait(false);
        var failed = ExceptionInfo.Create("DeliveryLimitExceeded", "onboarding.exceptions", detail);
        events.Failed(message.Id, failed, null);
        return await StoreAsync(message, TaskState.Failure, failed, null, abortToken).ConfigureAwait(false);
    }

    private async Task DeadLetterAsync(TaskDelivery delivery, string? taskId, string reason, string detail)
    {
        TaskEngineLog.DeadLettered(logger, taskId, delivery.Queue, reason);
        await broker.DeadLetterAsync(delivery, reason, detail, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a FAILURE, REVOKED or RETRY and runs the workflow hooks that follow it; <see cref="DeliveryOutcome.Requeue"/>
    /// when Redis stayed away longer than the retry policy allows (then no errback or compensation has run).
    /// </summary>
    private async Task<DeliveryOutcome> StoreAsync(
        TaskMessage message, TaskState state, ExceptionInfo exception, string? traceback, CancellationToken abortToken)
    {
        if (!message.IgnoreResult && !(registry.OptionsFor(message.Name)?.IgnoreResult ?? false))
        {
            var json = ResultMetaWriter.Exception(
                message.Id, state, exception, traceback, timeProvider.GetUtcNow(), message.GroupId, message.ParentId);
            if (!await StoreOrRetryAsync(message.Name, message.Id, state.ToWireName(), json, abortToken).ConfigureAwait(false))
            {
                return DeliveryOutcome.Requeue;
            }
        }

        // Workflow: chord part return, errbacks and compensations once the failure is stored.
        if (state is TaskState.Failure or TaskState.Revoked)
        {
            try
            {
                await workflow.OnFailedAsync(message, state, exception, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (storeRetry.IsTransient(ex))
            {
                if (!await RetryFailedHooksAsync(message, state, exception, ex, abortToken).ConfigureAwait(false))
                {
                    return DeliveryOutcome.Requeue;
                }
            }
        }

        return DeliveryOutcome.AckNow;
    }

    // Results are stored even while shutting down: the token of the run must not lose a finished task's result.
    private Task StoreAsync(string taskId, byte[] json) => backend.StoreAsync(taskId, json, CancellationToken.None);

    // The run's value, or TimeoutException once the hard limit's token fires first (the shutdown token throws as usual).
    private static async Task<object?> WaitWithinAsync(Task<object?> run, CancellationToken hardLimit, CancellationToken abortToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(hardLimit, abortToken);
        try
        {
            return await run.WaitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (hardLimit.IsCancellationRequested && !abortToken.IsCancellationRequested && !run.IsCompleted)
        {
            throw new TimeoutException();
        }
    }

    private static bool HasCallerChosenId(TaskMessage message) => message.ExtraHeaders.ContainsKey(MessageHeaders.CallerChosenId);

    private static IReadOnlyDictionary<string, object?> WithoutDeadLetterHeaders(IReadOnlyDictionary<string, object?> headers, bool possibleDuplicate)
    {
        var copy = new Dictionary<string, object?>(headers.Count + 1, StringComparer.Ordinal);
        foreach (var (key, value) in headers)
        {
            if (!MessageHeaders.IsDeadLetterBookkeeping(key) && key is not MessageHeaders.Exception
                and not MessageHeaders.OriginalQueue and not MessageHeaders.DeadLetteredAt)
            {
                copy[key] = value;
            }
        }

        if (possibleDuplicate)
        {
            copy[MessageHeaders.PossibleDuplicate] = true;
        }
        else
        {
            copy.Remove(MessageHeaders.PossibleDuplicate);
        }

        return copy;
    }

    private static Activity? StartProcessActivity(TaskMessage message, TaskDelivery delivery)
    {
        ActivityContext parent = default;
        if (delivery.Headers is { } headers)
        {
            DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (carrier, name, out value, out values) =>
            {
                values = null;
                value = carrier is IDictionary<string, object?> map && map.TryGetValue(name, out var raw) ? TaskEnvelope.AsString(raw) : null;
            }, out var traceParent, out var traceState);
            if (traceParent is not null)
            {
                ActivityContext.TryParse(traceParent, traceState, isRemote: true, out parent);
            }
        }

        var activity = TaskEngineDiagnostics.ActivitySource.StartActivity(message.Name + " process", ActivityKind.Consumer, parent);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "rabbitmq");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.destination.name", delivery.Queue);
            activity.SetTag("messaging.message.id", message.Id);
            activity.SetTag("messaging.message.conversation_id", message.RootId ?? message.Id);
            activity.SetTag("messaging.rabbitmq.message.delivery_tag", (long)delivery.DeliveryTag);
            activity.SetTag("task.retries", message.Retries);
        }

        return activity;
    }

    private static ConcurrentDictionary<string, TokenBucket> CreateBuckets(TaskRegistry registry, TimeProvider timeProvider)
    {
        var buckets = new ConcurrentDictionary<string, TokenBucket>(StringComparer.Ordinal);
        foreach (var registration in registry.All)
        {
            if (registration.RateLimit is { } limit)
            {
                buckets[registration.Name] = new TokenBucket(limit, timeProvider);
            }
        }

        return buckets;
    }
}
