using StackExchange.Redis;

namespace Onboarding.TaskEngine.Redis;

/// <summary>
/// The scheduler's keys under <c>TaskEngine:Beat:KeyPrefix</c>, shared by the scheduler's store (which writes them)
/// and the board operators read: <c>&lt;prefix&gt;-lease</c> holds the active scheduler's owner token,
/// <c>&lt;prefix&gt;-&lt;name&gt;</c> the last fired tick of an entry (Unix ms), <c>&lt;prefix&gt;-entries</c> the
/// recorded entries.
/// </summary>
internal readonly record struct BeatKeys(string Prefix)
{
    public string Lease => Prefix + "-lease";

    public string Entries => Prefix + "-entries";

    public string Tick(string name) => Prefix + "-" + name;

    /// <summary>The tick a tick key holds, or null when it holds none.</summary>
    /// <remarks>
    /// A missing key must read as "never fired": RedisValue.Null parses as 0, which would read as "last fired in 1970"
    /// and fire the latest due tick at the first start instead of the next one after it.
    /// </remarks>
    public static DateTimeOffset? TickOf(RedisValue stored) =>
        stored.HasValue && stored.TryParse(out long ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
