namespace Onboarding.TaskEngine.Events;

/// <summary>What a claim on an event found (<see cref="IEventClaims.ClaimAsync"/>).</summary>
internal enum EventClaimResult
{
    /// <summary>Claimed: this consumer runs the handlers.</summary>
    Claimed,

    /// <summary>The event was handled already (a redelivery or a re-publish).</summary>
    Handled,

    /// <summary>Another replica holds the claim and is running the handlers now.</summary>
    HeldElsewhere,
}

/// <summary>
/// The per-subscriber idempotency record of events, kept in the result backend (<c>Redis/RedisEventClaims</c>): a
/// lease with an owner token while the handlers run, then a "handled" mark for the idempotency window.
/// </summary>
internal interface IEventClaims
{
    /// <summary>Claims <paramref name="eventId"/> for <paramref name="lease"/> under <paramref name="owner"/>, atomically.</summary>
    Task<EventClaimResult> ClaimAsync(string eventId, string owner, TimeSpan lease);

    /// <summary>Gives up the claim (the handlers failed), if <paramref name="owner"/> still holds it.</summary>
    Task ReleaseAsync(string eventId, string owner);

    /// <summary>Marks the event handled for <paramref name="window"/>: a later copy is acked without running.</summary>
    Task MarkHandledAsync(string eventId, TimeSpan window);
}
