using System.Diagnostics.Metrics;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.Benchmarks;

/// <summary>
/// Counts the engine's <c>onboarding.tasks.succeeded</c> measurements for one queue through a
/// <see cref="MeterListener"/>, and completes when a target count is reached.
/// </summary>
internal sealed class TaskCounter : IDisposable
{
    private const string SucceededInstrument = "onboarding.tasks.succeeded";
    private readonly MeterListener _listener = new();
    private readonly string _queue;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _count;
    private long _target = long.MaxValue;
    private long _firstAt;
    private long _lastAt;

    public TaskCounter(string queue)
    {
        _queue = queue;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == TaskEngineDiagnostics.Name && instrument.Name == SucceededInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    public long Count => Interlocked.Read(ref _count);

    /// <summary>When the first counted task succeeded (a <see cref="System.Diagnostics.Stopwatch"/> timestamp as a time span).</summary>
    public TimeSpan FirstAt => TimeSpan.FromTicks((long)(Interlocked.Read(ref _firstAt) * TicksPerTimestamp));

    /// <summary>When the last counted task succeeded.</summary>
    public TimeSpan LastAt => TimeSpan.FromTicks((long)(Interlocked.Read(ref _lastAt) * TicksPerTimestamp));

    private static double TicksPerTimestamp => (double)TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency;

    /// <summary>Completes once <paramref name="target"/> tasks of the queue have succeeded.</summary>
    public Task WaitForAsync(long target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _target, target);
        if (Count >= target)
        {
            _reached.TrySetResult();
        }

        return _reached.Task.WaitAsync(timeout, cancellationToken);
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "messaging.destination.name" && tag.Value is string queue && queue == _queue)
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                Interlocked.CompareExchange(ref _firstAt, now, 0);
                Interlocked.Exchange(ref _lastAt, now);
                if (Interlocked.Add(ref _count, value) >= Interlocked.Read(ref _target))
                {
                    _reached.TrySetResult();
                }

                return;
            }
        }
    }

    public void Dispose() => _listener.Dispose();
}
