namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>What to send for the acks taken from an <see cref="AckWindow"/>.</summary>
/// <param name="MultipleUpTo">Ack every unsettled tag up to this one with one <c>basic.ack(multiple)</c>; 0 for none.</param>
/// <param name="Singles">Tags to ack one by one: they sit above a delivery that is still running.</param>
internal readonly record struct AckPlan(ulong MultipleUpTo, IReadOnlyList<ulong> Singles)
{
    public bool IsEmpty => MultipleUpTo == 0 && Singles.Count == 0;
}

/// <summary>
/// The deliveries of one consumer channel that are not settled yet, and which of them wait for an ack. It turns the
/// waiting acks into as few frames as is safe: one multiple-ack up to just below the lowest delivery that is still
/// running (or being nacked), singles above it. A multiple-ack never covers a delivery that has not finished, so
/// acks-late still means "redelivered if the worker dies before the task is done". Not thread-safe.
/// </summary>
internal sealed class AckWindow
{
    private readonly SortedSet<ulong> _unsettled = [];
    private readonly HashSet<ulong> _waiting = [];

    /// <summary>Acks asked for and not yet taken.</summary>
    public int Waiting => _waiting.Count;

    public void Delivered(ulong tag) => _unsettled.Add(tag);

    /// <summary>Asks for the ack of a delivered tag; a tag that is not unsettled (settled already) is ignored.</summary>
    public void RequestAck(ulong tag)
    {
        if (_unsettled.Contains(tag))
        {
            _waiting.Add(tag);
        }
    }

    /// <summary>Forgets a tag settled another way (a nack, an early ack), once that frame is sent.</summary>
    public void Settled(ulong tag)
    {
        _unsettled.Remove(tag);
        _waiting.Remove(tag);
    }

    /// <summary>Takes every waiting ack as a plan and counts those tags as settled.</summary>
    public AckPlan TakePlan()
    {
        if (_waiting.Count == 0)
        {
            return new AckPlan(0, []);
        }

        // The tags below the lowest unfinished delivery all wait for an ack (that is what makes it the lowest).
        ulong multipleUpTo = 0;
        var below = 0;
        foreach (var tag in _unsettled)
        {
            if (!_waiting.Contains(tag))
            {
                break;
            }

            multipleUpTo = tag;
            below++;
        }

        List<ulong> singles = [];
        if (below < _waiting.Count)
        {
            foreach (var tag in _waiting)
            {
                if (tag > multipleUpTo)
                {
                    singles.Add(tag);
                }
            }

            singles.Sort();
        }

        foreach (var tag in _waiting)
        {
            _unsettled.Remove(tag);
        }

        _waiting.Clear();
        if (below == 1)
        {
            // One tag: a plain ack says the same with less for the broker to walk.
            singles.Insert(0, multipleUpTo);
            multipleUpTo = 0;
        }

        return new AckPlan(multipleUpTo, singles);
    }
}
