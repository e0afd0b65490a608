using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using StackExchange.Redis;

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
    IConnectionMultiplexer redis,
    PeriodicTaskBoard board,
    IOptions<TaskWorkerOptions> workerOptions,
    IOptions<PeriodicTaskSchedulerOptions> options,
    TimeProvider timeProvider,
    ILogger<PeriodicTaskScheduler> logger) : BackgroundService
{
    // KEYS[1] = tick key, KEYS[2] = lease key; ARGV = owner, tick ms, memory ms.
    // -1 = not the lease holder, 0 = tick fired already, 1 = ours to fire.
    private const string FireScript = """
        if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
        local cur = redis.call('GET', KEYS[1])
        if cur and tonumber(cur) >= tonumber(ARGV[2]) then return 0 end
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        return 1
        """;

    // Undo a claimed tick whose send failed, so the next poll retries it: KEYS[1]; ARGV = claimed tick, previous or ''.
    private const string UnfireScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
        if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL') end
        return 1
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    /// <summary>A header on each sent task: the tick it fires, ISO 8601 (<c>task.request.beat_tick</c> in Python).</summary>
    public const string TickHeader = "beat_tick";

    public const string NameHeader = "beat_name";

    private readonly BeatSettings _beat = options.Value.Beat;
    private readonly string _node = NodeName.Resolve(workerOptions.Value.Hostname);

    // The node name first, so operators can read from the lease which worker's scheduler is active.
    private readonly string _owner = $"{NodeName.Resolve(workerOptions.Value.Hostname)}{PeriodicTaskBoard.OwnerSeparator}{Environment.MachineName}:{Environment.ProcessId}:{Guid.CreateVersion7():N}";
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

    private string LeaseKey => _beat.KeyPrefix + "-lease";

    internal string TickKey(string name) => _beat.KeyPrefix + "-" + name;

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
                catch (Exception ex) when (ex is RedisException or TimeoutException)
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
                    await UnrecordedScope.RunAsync(() => redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [LeaseKey], [_owner]))
                        .ConfigureAwait(false);
                }
                catch (RedisException ex)
                {
                    PeriodicTaskLog.SchedulerError(logger, ex);
                }
            }
        }
    }

    /// <summary>Takes the lease when free, renews it every third of its duration; false when another replica holds it.</summary>
    private async Task<bool> HoldLeaseAsync()
    {
        var database = redis.GetDatabase();
        var now = timeProvider.GetUtcNow();
        if (!_leader)
        {
            // Take a free lease, or keep our own (still ours after a Redis error made us step back).
            if (await database.StringSetAsync(LeaseKey, _owner, _beat.LeaseDuration, When.NotExists).ConfigureAwait(false)
                || (long)await database.ScriptEvaluateAsync(RenewScript, [LeaseKey], [_owner, (long)_beat.LeaseDuration.TotalMilliseconds])
                    .ConfigureAwait(false) == 1)
            {
                _leader = true;
                _leaseRenewedAt = now;
                PeriodicTaskLog.LeaseAcquired(logger, _owner);
            }

            return _leader;
        }

        if (now - _leaseRenewedAt >= _beat.LeaseDuration / 3)
        {
            var renewed = (long)await database.ScriptEvaluateAsync(RenewScript, [LeaseKey],
                [_owner, (long)_beat.LeaseDuration.TotalMilliseconds]).ConfigureAwait(false);
            if (renewed == 0)
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
        var database = redis.GetDatabase();
        var key = TickKey(definition.Name);
        if (await UnrecordedScope.RunAsync(() => ClaimDueTickAsync(database, key, definition, baseline)).ConfigureAwait(false)
            is not ({ } tick, var lastFired))
        {
            return;
        }

        var tickMs = tick.ToUnixTimeMilliseconds();

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
            await UnrecordedScope.RunAsync(() => database.ScriptEvaluateAsync(UnfireScript, [key],
                [tickMs, lastFired is { } previous ? previous.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : string.Empty]))
                .ConfigureAwait(false);
            return;
        }

        try
        {
            await UnrecordedScope.RunAsync(() => board.RecordFiredAsync(definition, tick, _node)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Only the operators' record of the next run is late; the tick itself was claimed and sent.
            PeriodicTaskLog.SchedulerError(logger, ex);
        }
    }

    /// <summary>The due tick of an entry, claimed for this replica; no tick when none is due or another has it.</summary>
    private async Task<(DateTimeOffset? Tick, DateTimeOffset? LastFired)> ClaimDueTickAsync(
        IDatabase database, string key, PeriodicTaskDefinition definition, DateTimeOffset baseline)
    {
        var stored = await database.StringGetAsync(key).ConfigureAwait(false);
        // A missing key parses as 0 (RedisValue.Null converts to zero), which would read as "last fired in 1970" and fire
        // the latest due tick at the first start, not the next one after it.
        DateTimeOffset? lastFired = stored.HasValue && stored.TryParse(out long storedMs) ? DateTimeOffset.FromUnixTimeMilliseconds(storedMs) : null;
        if (DueTick(definition.Schedule, lastFired, baseline, timeProvider.GetUtcNow()) is not { } tick)
        {
            return (null, lastFired);
        }

        var claimed = (long)await database.ScriptEvaluateAsync(FireScript, [key, LeaseKey],
            [_owner, tick.ToUnixTimeMilliseconds(), (long)_beat.TickMemory.TotalMilliseconds]).ConfigureAwait(false);
        if (claimed < 0)
        {
            _leader = false;
            PeriodicTaskLog.LeaseLost(logger, _owner);
        }

        return (claimed > 0 ? tick : null, lastFired);
    }
}
