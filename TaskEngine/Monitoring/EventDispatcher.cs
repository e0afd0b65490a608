using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Diagnostics;

namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// Sends Celery events as Celery's <c>EventDispatcher</c> does, without ever making the sender wait: an event is
/// written to JSON at once and handed to a bounded buffer; one loop publishes them on its own channel. Task events
/// go out in batches (a JSON array on <c>task.multi</c>, at most <see cref="BatchLimit"/> per message, as Celery
/// buffers its <c>task</c> group), worker events one by one on their own routing key (<c>worker.heartbeat</c>, …).
/// When the broker cannot keep up, events beyond the buffer are dropped and counted, never queued in memory
/// without bound and never waited for.
/// </summary>
internal sealed class EventDispatcher : IHostedService, IAsyncDisposable
{
    /// <summary>Celery's buffer_limit for the task group.</summary>
    public const int BatchLimit = 24;

    private const int Capacity = 16_384;

    // A worker that is busy sends events in bursts: waiting this long after the first of a burst lets a batch fill,
    // so the broker takes one message for up to 24 events instead of one per event (Celery flushes once per loop turn).
    private static readonly TimeSpan FlushDelay = TimeSpan.FromMilliseconds(2);

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _threadWriter;
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);
    private const string TaskMulti = "task.multi";

    private readonly ICeleryEventTransport _transport;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<EventDispatcher> _logger;
    private readonly Channel<PendingEvent> _buffer;
    private readonly int _pid = Environment.ProcessId;
    private Task? _loop;
    private long _dropped;
    private long _published;
    private volatile bool _taskEvents;

    public EventDispatcher(ICeleryEventTransport transport, TimeProvider timeProvider, ILogger<EventDispatcher> logger)
    {
        _transport = transport;
        _timeProvider = timeProvider;
        _logger = logger;
        _buffer = Channel.CreateBounded<PendingEvent>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Interlocked.Increment(ref _dropped));
        // A client process is named as Celery names one (gen<pid>@host); a worker sets its node name.
        Hostname = "gen" + _pid + "@" + Dns.GetHostName();
    }

    /// <summary>The node name every event carries.</summary>
    public string Hostname { get; set; }

    /// <summary>The sender's logical clock (remote control shares it, as Celery's app clock is shared).</summary>
    public LamportClock Clock { get; } = new();

    /// <summary>Whether task events are sent (<c>-E</c>, <c>enable_events</c>/<c>disable_events</c>).</summary>
    public bool TaskEventsEnabled
    {
        get => _taskEvents;
        set => _taskEvents = value;
    }

    /// <summary>Events dropped since start because the buffer was full or a publish failed.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Events published since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>
    /// Queues one event: <paramref name="writeFields"/> writes its own fields between the common ones
    /// (hostname, utcoffset, pid, clock, uuid … timestamp, type, in Celery's order).
    /// </summary>
    public void Send<TState>(string type, string? taskId, TState state, Action<Utf8JsonWriter, TState>? writeFields)
    {
        // One writer per thread, reused: an event costs its JSON bytes and nothing else.
        var (buffer, writer) = _threadWriter ??= (new ArrayBufferWriter<byte>(512), new Utf8JsonWriter(Stream.Null));
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        writer.WriteString("hostname", Hostname);
        writer.WriteNumber("utcoffset", UtcOffsetHours());
        writer.WriteNumber("pid", _pid);
        writer.WriteNumber("clock", Clock.Forward());
        if (taskId is not null)
        {
            writer.WriteString("uuid", taskId);
        }

        writeFields?.Invoke(writer, state);
        writer.WriteNumber("timestamp", _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
        writer.WriteString("type", type);
        writer.WriteEndObject();
        writer.Flush();

        // A worker buffers its task events; a client publishes task-sent at once, on task.sent (Celery's client
        // dispatcher has no buffer group).
        var batched = type.StartsWith("task-", StringComparison.Ordinal) && type != CeleryEventTypes.TaskSent;
        _buffer.Writer.TryWrite(new PendingEvent(buffer.WrittenSpan.ToArray(), batched ? null : type.Replace('-', '.')));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Events are the fleet's monitoring plumbing (a heartbeat every 2 s per worker, batches of task events, a
        // client's task-sent): published under an unrecorded parent, none becomes a trace of its own on the dashboard,
        // and a monitor's deliveries, children of that parent, are dropped too.
        _loop = Task.Run(() => UnrecordedScope.RunAsync(PublishLoopAsync), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Publishes what is buffered (a worker's last task events and its worker-offline) within the stop timeout.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _buffer.Writer.TryComplete();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(3), _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // The broker is away: what is left is dropped, as Celery drops it at shutdown.
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _buffer.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    private async Task PublishLoopAsync()
    {
        var batch = new List<byte[]>(BatchLimit);
        var lastReport = _timeProvider.GetTimestamp();
        long reported = 0;
        while (await _buffer.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_buffer.Reader.Count < BatchLimit)
            {
                await Task.Delay(FlushDelay, _timeProvider).ConfigureAwait(false);
            }

            while (_buffer.Reader.TryRead(out var pending))
            {
                if (pending.RoutingKey is { } routingKey)
                {
                    await PublishAsync(routingKey, pending.Json, 1).ConfigureAwait(false);
                    continue;
                }

                batch.Add(pending.Json);
                if (batch.Count == BatchLimit)
                {
                    await PublishBatchAsync(batch).ConfigureAwait(false);
                }
            }

            if (batch.Count > 0)
            {
                await PublishBatchAsync(batch).ConfigureAwait(false);
            }

            var dropped = Dropped;
            if (dropped != reported && _timeProvider.GetElapsedTime(lastReport) >= DropReportInterval)
            {
                OperationsLog.EventsDropped(_logger, dropped - reported);
                reported = dropped;
                lastReport = _timeProvider.GetTimestamp();
            }
        }
    }

    private async Task PublishBatchAsync(List<byte[]> batch)
    {
        var length = 2 + batch.Count - 1;
        foreach (var json in batch)
        {
            length += json.Length;
        }

        var body = new byte[length];
        body[0] = (byte)'[';
        var offset = 1;
        for (var i = 0; i < batch.Count; i++)
        {
            if (i > 0)
            {
                body[offset++] = (byte)',';
            }

            batch[i].CopyTo(body, offset);
            offset += batch[i].Length;
        }

        body[offset] = (byte)']';
        var count = batch.Count;
        batch.Clear();
        await PublishAsync(TaskMulti, body, count).ConfigureAwait(false);
    }

    private async Task PublishAsync(string routingKey, byte[] body, int count)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _timeProvider);
            await _transport.PublishAsync(Hostname, routingKey, body, timeout.Token).ConfigureAwait(false);
            Interlocked.Add(ref _published, count);
        }
        catch (Exception ex)
        {
            // Events are best effort: a broker that is away costs these events, never a task.
            Interlocked.Add(ref _dropped, count);
            OperationsLog.EventPublishFailed(_logger, ex.Message, count);
        }
    }

    // Celery's utcoffset(): hours west of UTC (time.timezone // 3600).
    private int UtcOffsetHours() =>
        (int)Math.Floor(-_timeProvider.LocalTimeZone.GetUtcOffset(_timeProvider.GetUtcNow()).TotalHours);

    private readonly record struct PendingEvent(byte[] Json, string? RoutingKey);
}
