namespace Onboarding.TaskEngine.Scheduling;

/// <summary>What a replica's claim of a due tick found.</summary>
internal enum TickClaim
{
    /// <summary>This replica fires the tick.</summary>
    Claimed,

    /// <summary>The tick (or a later one) fired already.</summary>
    FiredAlready,

    /// <summary>This replica no longer holds the lease.</summary>
    NotLeader,
}

/// <summary>
/// Where the periodic scheduler keeps its lease (one leader among replicas) and the last fired tick of each entry,
/// compared and set atomically (<c>Redis/RedisSchedulerStore</c> in production).
/// </summary>
internal interface ISchedulerStore
{
    /// <summary>Takes the lease when free, or keeps it when <paramref name="owner"/> holds it already; false when another holds it.</summary>
    Task<bool> TryTakeLeaseAsync(string owner, TimeSpan duration);

    /// <summary>Extends <paramref name="owner"/>'s lease; false when it lost it.</summary>
    Task<bool> RenewLeaseAsync(string owner, TimeSpan duration);

    /// <summary>Gives the lease up at once, if <paramref name="owner"/> holds it.</summary>
    Task ReleaseLeaseAsync(string owner);

    /// <summary>The last fired tick of an entry, or null.</summary>
    Task<DateTimeOffset?> GetLastFiredAsync(string name);

    /// <summary>
    /// Records <paramref name="tick"/> as fired (remembered for <paramref name="memory"/>), if <paramref name="owner"/>
    /// holds the lease and no later tick fired.
    /// </summary>
    Task<TickClaim> ClaimTickAsync(string name, string owner, DateTimeOffset tick, TimeSpan memory);

    /// <summary>Undoes a claimed tick whose send failed (back to <paramref name="previous"/>), so the next poll fires it again.</summary>
    Task UnclaimTickAsync(string name, DateTimeOffset tick, DateTimeOffset? previous);

    /// <summary>Whether <paramref name="exception"/> is the store being away (the scheduler steps back and tries again).</summary>
    bool IsUnavailable(Exception exception);
}
