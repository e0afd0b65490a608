namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// A Lamport clock as Celery keeps one per process: forwarded for every event and control message sent, moved past
/// the clock of every message received, so that monitors can order one sender's events.
/// </summary>
internal sealed class LamportClock
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    public long Forward() => Interlocked.Increment(ref _value);

    public void Adjust(long other)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _value);
            if (other < current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _value, other + 1, current) != current);
    }
}
