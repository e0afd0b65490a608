namespace Onboarding.TaskEngine.Abstractions;

/// <summary>Which dead letters a replay or discard takes: every one, those with an id, or those with a reason.</summary>
public sealed record DeadLetterSelector
{
    private DeadLetterSelector(string? id, string? reason)
    {
        Id = id;
        Reason = reason;
    }

    /// <summary>Every message in the queue.</summary>
    public static DeadLetterSelector All { get; } = new(null, null);

    /// <summary>The dead letter's <see cref="DeadLetter.Id"/>, when selecting by id.</summary>
    public string? Id { get; }

    /// <summary>The <see cref="DeadLetter.Reason"/>, when selecting by reason.</summary>
    public string? Reason { get; }

    /// <summary>The messages whose <see cref="DeadLetter.Id"/> is <paramref name="id"/> (a task dead-lettered twice is two).</summary>
    public static DeadLetterSelector ById(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return new(id, null);
    }

    /// <summary>The messages dead-lettered for <paramref name="reason"/> (exact, e.g. <c>not-registered</c>).</summary>
    public static DeadLetterSelector ByReason(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(null, reason);
    }

    public bool Matches(DeadLetter letter)
    {
        ArgumentNullException.ThrowIfNull(letter);
        return (Id is null || string.Equals(letter.Id, Id, StringComparison.Ordinal))
            && (Reason is null || string.Equals(letter.Reason, Reason, StringComparison.Ordinal));
    }
}
