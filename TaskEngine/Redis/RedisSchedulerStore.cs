using System.Globalization;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Scheduling;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// The scheduler's lease and ticks in Redis: <c>&lt;prefix&gt;-lease</c> (<c>SET NX PX</c> with an owner token, renewed
/// and released by compare-and-set scripts) and <c>&lt;prefix&gt;-&lt;name&gt;</c> holding the last fired tick (Unix ms),
/// moved forward only by the lease holder.
/// </summary>
internal sealed class RedisSchedulerStore(IConnectionMultiplexer redis, IOptions<PeriodicTaskSchedulerOptions> options) : ISchedulerStore
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

    private readonly BeatKeys _keys = new(options.Value.Beat.KeyPrefix);

    private string LeaseKey => _keys.Lease;

    private string TickKey(string name) => _keys.Tick(name);

    public async Task<bool> TryTakeLeaseAsync(string owner, TimeSpan duration) =>
        await redis.GetDatabase().StringSetAsync(LeaseKey, owner, duration, When.NotExists).ConfigureAwait(false)
        || await RenewLeaseAsync(owner, duration).ConfigureAwait(false);

    public async Task<bool> RenewLeaseAsync(string owner, TimeSpan duration) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [LeaseKey], [owner, (long)duration.TotalMilliseconds])
            .ConfigureAwait(false) == 1;

    public Task ReleaseLeaseAsync(string owner) =>
        redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [LeaseKey], [owner]);

    public async Task<DateTimeOffset?> GetLastFiredAsync(string name) =>
        BeatKeys.TickOf(await redis.GetDatabase().StringGetAsync(TickKey(name)).ConfigureAwait(false));

    public async Task<TickClaim> ClaimTickAsync(string name, string owner, DateTimeOffset tick, TimeSpan memory) =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(FireScript, [TickKey(name), LeaseKey],
            [owner, tick.ToUnixTimeMilliseconds(), (long)memory.TotalMilliseconds]).ConfigureAwait(false) switch
        {
            > 0 => TickClaim.Claimed,
            0 => TickClaim.FiredAlready,
            _ => TickClaim.NotLeader,
        };

    public Task UnclaimTickAsync(string name, DateTimeOffset tick, DateTimeOffset? previous) =>
        redis.GetDatabase().ScriptEvaluateAsync(UnfireScript, [TickKey(name)],
            [tick.ToUnixTimeMilliseconds(), previous is { } last ? last.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) : string.Empty]);

    public bool IsUnavailable(Exception exception) => exception is RedisException or TimeoutException;
}
