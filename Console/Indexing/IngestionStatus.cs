namespace Onboarding.OperationsConsole.Indexing;

/// <summary>
/// How the event ingestion keeps up, shown on every page: when the buffer overflowed recently the index is a sample,
/// and the pages say so rather than pretend to be complete.
/// </summary>
public sealed class IngestionStatus(TimeProvider time)
{
    private long _received;
    private long _dropped;
    private long _lastDropTicks;
    private long _version;

    /// <summary>Events read from the broker.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Events dropped because the index fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Increases whenever the index changed; the live pages refresh when it moves.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>True while the connection to the event stream is up.</summary>
    public bool Connected { get; set; }

    /// <summary>True when events were dropped in the last five minutes.</summary>
    public bool IsSampling =>
        Interlocked.Read(ref _lastDropTicks) is var ticks and > 0 && time.GetUtcNow().UtcTicks - ticks < TimeSpan.FromMinutes(5).Ticks;

    internal void OnReceived() => Interlocked.Increment(ref _received);

    internal void OnDropped()
    {
        Interlocked.Increment(ref _dropped);
        Interlocked.Exchange(ref _lastDropTicks, time.GetUtcNow().UtcTicks);
    }

    internal void OnChanged() => Interlocked.Increment(ref _version);
}
