namespace Onboarding.TaskEngine.Protocol;

/// <summary>
/// Headers the engine adds to a message beside Celery's own: the dead-letter bookkeeping (why, from where, when) and
/// the possible-duplicate mark. Any broker carries them as plain message headers.
/// </summary>
internal static class MessageHeaders
{
    public const string DeathReason = "x-death-reason";
    public const string Exception = "x-exception";
    public const string OriginalQueue = "x-original-queue";

    // Where a message that never reached a queue (an unroutable event) was going; replay sends it back there.
    public const string OriginalExchange = "x-original-exchange";
    public const string OriginalRoutingKey = "x-original-routing-key";
    public const string DeadLetteredAt = "x-dead-lettered-at";

    /// <summary>Set on a copy that may duplicate one already in the broker (see <c>TaskDelivery.PossibleDuplicate</c>).</summary>
    public const string PossibleDuplicate = "x-onboarding-possible-duplicate";

    /// <summary>
    /// Set by our client on a task whose id the caller chose. Only such an id can be revoked before it is sent, and the
    /// revocation notice (pub/sub) may reach a worker after the task does, so the worker asks the backend for this
    /// message instead of trusting its copy of the revocations. Generated ids cannot be known before the send.
    /// </summary>
    public const string CallerChosenId = "x-onboarding-caller-id";

    /// <summary>
    /// Set on the copy a worker parks in a delay queue (ETA ahead, over its rate limit) after it announced the task
    /// with a <c>task-received</c> event: the copy that comes back due is not announced again. Celery's worker receives
    /// an ETA task once and holds it, so monitors (Flower, <c>celery.events.state</c>) count one receipt per send.
    /// </summary>
    public const string ReceivedAnnounced = "x-onboarding-received-announced";

    /// <summary>
    /// Whether a header is dead-letter bookkeeping (ours or a broker's <c>x-death</c> family) that a message sent on
    /// again (a retry, a replay) must not carry.
    /// </summary>
    public static bool IsDeadLetterBookkeeping(string key) =>
        key.StartsWith("x-death", StringComparison.Ordinal) || key.StartsWith("x-first-death", StringComparison.Ordinal)
        || key.StartsWith("x-last-death", StringComparison.Ordinal);

    /// <summary>What the <see cref="Exception"/> header says of an exception: its type and message.</summary>
    public static string Describe(System.Exception exception) => string.Concat(exception.GetType().FullName, ": ", exception.Message);
}
