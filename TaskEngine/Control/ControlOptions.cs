namespace Onboarding.TaskEngine.Control;

/// <summary>Who a remote control command addresses and how long replies are awaited.</summary>
public sealed record ControlOptions
{
    /// <summary>The default: every node, replies awaited until none arrived for one second (Celery's default).</summary>
    public static ControlOptions Default { get; } = new();

    /// <summary>
    /// Node names (<c>celery@host</c>) that should act and reply; null or empty means every node. Collecting stops as
    /// soon as this many replies arrived.
    /// </summary>
    public IReadOnlyList<string>? Destination { get; init; }

    /// <summary>How long to wait for the next reply before the collection ends (Celery's <c>--timeout</c>, 1 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop after this many replies (default: the size of <see cref="Destination"/>, else unlimited).</summary>
    public int? Limit { get; init; }
}
