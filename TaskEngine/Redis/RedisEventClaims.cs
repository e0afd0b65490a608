using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Events;
using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// Event claims in Redis: <c>onboarding-event-&lt;subscriber&gt;-&lt;id&gt;</c> holds the owner token (with a lease TTL)
/// while the handlers run, then <c>done</c> for the idempotency window.
/// </summary>
internal sealed class RedisEventClaims(IConnectionMultiplexer redis, IOptions<EventOptions> options) : IEventClaims
{
    private const string Done = "done";

    // KEYS[1] = key, ARGV[1] = owner token, ARGV[2] = lease ms. 1 = claimed, 0 = handled already, -1 = held elsewhere.
    private const string ClaimScript = """
        local v = redis.call('GET', KEYS[1])
        if not v then
          redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
          return 1
        end
        if v == 'done' then return 0 end
        return -1
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly string _subscriber = options.Value.Subscriber ?? string.Empty;

    internal string Key(string eventId) => $"onboarding-event-{_subscriber}-{eventId}";

    public async Task<EventClaimResult> ClaimAsync(string eventId, string owner, TimeSpan lease) =>
        (int)await redis.GetDatabase().ScriptEvaluateAsync(ClaimScript, [Key(eventId)], [owner, (long)lease.TotalMilliseconds])
            .ConfigureAwait(false) switch
        {
            1 => EventClaimResult.Claimed,
            0 => EventClaimResult.Handled,
            _ => EventClaimResult.HeldElsewhere,
        };

    public Task ReleaseAsync(string eventId, string owner) =>
        redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [Key(eventId)], [owner]);

    public Task MarkHandledAsync(string eventId, TimeSpan window) =>
        redis.GetDatabase().StringSetAsync(Key(eventId), Done, window);
}
