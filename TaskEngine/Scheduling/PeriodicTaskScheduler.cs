using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.TaskEngine.Scheduling;

/// <summary>The periodic tasks registered in code (<c>AddPeriodicTask</c>).</summary>
internal sealed class PeriodicTaskRegistry
{
    private readonly Dictionary<string, PeriodicTaskDefinition> _definitions = new(StringComparer.Ordinal);

    public IEnumerable<PeriodicTaskDefinition> All => _definitions.Values;

    public void Add(PeriodicTaskDefinition definition)
    {
        if (!_definitions.TryAdd(definition.Name, definition))
        {
            throw new InvalidOperationException($"A periodic task named '{definition.Name}' is registered already.");
        }
    }
}

/// <summary>
/// Celery beat for the engine: sends each periodic task once per tick through <see cref="ITaskClient"/>, however
/// many replicas run it (<c>Worker:Beat</c>, <c>--beat</c>).
/// </summary>
/// <remarks>
/// Two guards, after Hangfire's RecurringJobScheduler: a Redis lease (<c>SET NX PX</c> with an owner token, renewed
/// while held, released on stop) so one replica is active, and per-entry tick memory: the last fired tick of an
/// entry is stored in <c>&lt;prefix&gt;-&lt;name&gt;</c> and only moved forward by a Lua compare-and-set that also checks
/// the lease, so a replica that lost the lease, or one taking over, cannot fire a tick twice. The tick to fire is
/// the latest due one after the stored tick (celery's <c>is_due</c> with catch-up of one), so after downtime a
/// missed tick runs once, not once per missed tick. An entry never fired starts from the scheduler's start.
/// </remarks>
internal sealed class PeriodicTaskScheduler(
    PeriodicTaskRegistry registry,
    ITaskClient client,
    ISchedulerStore store,
    IPeriodicTaskRecorder board,
    IOptions<TaskWorkerOptions> workerOptions,
    IOptions<PeriodicTaskSchedulerOptions> options,
    TimeProvider timeProvider,
    ILogger<PeriodicTaskScheduler> logger) : BackgroundService
{
    /// <summary>A header on each sent task: the tick it fires, ISO 8601 (<c>task.request.beat_tick</c> in Python).</summary>
    public const string TickHeader = "beat_tick";

    public const string NameHeader = "beat_name";

    private readonly BeatSettings _beat = options.Value.Beat;
    private readonly string _node = NodeName.Resolve(workerOptions.Value.Hostname);

    // The node name first, so operators can read from the lease which worker's scheduler is active.
    private readonly string _owner = $"{NodeName.Resolve(workerOptions.Value.Hostname)}{IPeriodicTaskRecorder.OwnerSeparator}{Environment.MachineName}:{Environment.ProcessId}:{Guid.CreateVersion7():N}";
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private DateTimeOffset _leaseRenewedAt;
    private bool _leader;
    private bool _declared;
    private long _polls;

    /// <summary>Signals that the scheduler loop runs (it may still be a standby).</summary>
    public Task Started => _started.Task;

    public bool IsLeader => _leader;

    /// <summary>Polls done so far (lease checks, due-tick checks), for tests that need the scheduler to have been busy.</summary>
    internal long Polls => Interlocked.Read(ref _polls);

    /// <summary>The tick to fire now: the latest due tick after the last fired one (or after the baseline).</summary>
    internal static DateTimeOffset? DueTick(Schedule schedule, DateTimeOffset? lastFired, DateTimeOffset baseline, DateTimeOffset now) =>
        schedule.GetLatestOccurrence(lastFired ?? baseline, now);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!workerOptions.Value.Beat)
        {
            return;
        }

        var definitions = registry.All
            .Concat(options.Value.Schedules.Select(entry => entry.Value.ToDefinition(entry.Key)))
            .ToList();
        var baseline = timeProvider.GetUtcNow();
        using var timer = new PeriodicTimer(_beat.PollInterval, timeProvider);
        _started.TrySetResult();
        try
        {
            do
            {
                try
                {
                    // Recorded for operators once per start (again after a Redis error at the first try).
                    if (!_declared)
                    {
                        await UnrecordedScope.RunAsync(() => board.DeclareAsync(definitions, _node, stoppingToken)).ConfigureAwait(false);
                        _declared = true;
                    }

                    // Polls leave no trace (see UnrecordedScope): only a fired task's send is traced.
                    if (await UnrecordedScope.RunAsync(HoldLeaseAsync).ConfigureAwait(false))
                    {
                        foreach (var definition in definitions)
                        {
                            await FireIfDueAsync(definition, baseline).ConfigureAwait(false);
                        }
                    }
                }
                catch (Exception ex) when (store.IsUnavailable(ex))
                {
                    PeriodicTaskLog.SchedulerError(logger, ex);
                    _leader = false;
                }

                Interlocked.Increment(ref _polls);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            if (_leader)
            {
                _leader = false;
                try
                {
                    // Hand over at once rather than after the lease expires.
                    await UnrecordedScope.RunAsync(() => store.ReleaseLeaseAsync(_owner)).ConfigureAwait(false);
                }
                catch (Exception ex) when (store.IsUnavailable(ex))
                {
                    PeriodicTaskLog.SchedulerError(logger, ex);
                }
            }
        }
    }

    /// <summary>Takes the lease when free, renews it every third of its duration; false when another replica holds it.</summary>
    private async Task<bool> HoldLeaseAsync()
    {
        var now = timeProvider.GetUtcNow();
        if (!_leader)
        {
            // Take a free lease, or keep our own (still ours after a Redis error made us step back).
            if (await store.TryTakeLeaseAsync(_owner, _beat.LeaseDuration).ConfigureAwait(false))
            {
                _leader = true;
                _leaseRenewedAt = now;
                PeriodicTaskLog.LeaseAcquired(logger, _owner);
            }

            return _leader;
        }

        if (now - _leaseRenewedAt >= _beat.LeaseDuration / 3)
        {
            if (!await store.RenewLeaseAsync(_owner, _beat.LeaseDuration).ConfigureAwait(false))
            {
                _leader = false;
                PeriodicTaskLog.LeaseLost(logger, _owner);
                return false;
            }

            _leaseRenewedAt = now;
        }

        return true;
    }

    private async Task FireIfDueAsync(PeriodicTaskDefinition definition, DateTimeOffset baseline)
    {
        if (await UnrecordedScope.RunAsync(() => ClaimDueTickAsync(definition, baseline)).ConfigureAwait(false)
            is not ({ } tick, var lastFired))
        {
            return;
        }

        // The claimed tick is sent even when stopping: a send cancelled after the broker took the message (while
        // waiting for its confirm) would look failed, be un-claimed, and be fired again by the next leader.
        try
        {
            var result = await client.SendAsync(definition.TaskName, definition.Args, definition.Kwargs, new TaskSendOptions
            {
                Queue = definition.Queue,
                ExpiresIn = definition.ExpiresIn,
                Headers = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    [NameHeader] = definition.Name,
                    [TickHeader] = tick.ToString("o", CultureInfo.InvariantCulture),
                },
            }, CancellationToken.None).ConfigureAwait(false);
            PeriodicTaskLog.PeriodicTaskSent(logger, definition.Name, definition.TaskName, result.Id, tick);
        }
        catch (Exception ex)
        {
            PeriodicTaskLog.PeriodicTaskFailed(logger, ex, definition.Name, tick);
            await UnrecordedScope.RunAsync(() => store.UnclaimTickAsync(definition.Name, tick, lastFired)).ConfigureAwait(false);
            return;
        }

        try
        {
            await UnrecordedScope.RunAsync(() => board.RecordFiredAsync(definition, tick, _node)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Only the operators' record of the next run is late; the tick itself was claimed and sent.
            PeriodicTaskLog.SchedulerError(logger, ex);
        }
    }

    /// <summary>The due tick of an entry, claimed for this replica; no tick when none is due or another has it.</summary>
    private async Task<(DateTimeOffset? Tick, DateTimeOffset? LastFired)> ClaimDueTickAsync(
        PeriodicTaskDefinition definition, DateTimeOffset baseline)
    {
        var lastFired = await store.GetLastFiredAsync(definition.Name).ConfigureAwait(false);
        if (DueTick(definition.Schedule, lastFired, baseline, timeProvider.GetUtcNow()) is not { } tick)
        {
            return (null, lastFired);
        }

        var claimed = await store.ClaimTickAsync(definition.Name, _owner, tick, _beat.TickMemory).ConfigureAwait(false);
        if (claimed == TickClaim.NotLeader)
        {
            _leader = false;
            PeriodicTaskLog.LeaseLost(logger, _owner);
        }

        return (claimed == TickClaim.Claimed ? tick : null, lastFired);
    }
}
