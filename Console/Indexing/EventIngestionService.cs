using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Onboarding.OperationsConsole.Fleet;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.OperationsConsole.Indexing;

/// <summary>
/// Reads the fleet's Celery events into the task index and the worker heartbeats. Reading and writing are decoupled by
/// a bounded buffer: the broker is read as fast as it delivers, writes are pipelined to Redis in batches, and when the
/// writes fall a whole buffer behind the newest events are dropped and counted (<see cref="IngestionStatus"/>) rather
/// than letting the broker queue grow without bound.
/// </summary>
internal sealed partial class EventIngestionService(
    ICeleryEventReader reader,
    TaskIndex index,
    WorkerHeartbeats heartbeats,
    IngestionStatus status,
    IOptions<TaskIndexOptions> options,
    ILogger<EventIngestionService> logger) : BackgroundService
{
    private const int WriteBatch = 256;
    private static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var buffer = Channel.CreateBounded<CeleryEvent>(new BoundedChannelOptions(options.Value.BufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        }, _ => status.OnDropped());
        // Housekeeping: every event received (a heartbeat every 2 s per worker) is a Redis write, and recorded, each would
        // be a trace of its own on the dashboard, burying the users' requests.
        return UnrecordedScope.RunAsync(() =>
            Task.WhenAll(ReadAsync(buffer.Writer, stoppingToken), WriteAsync(buffer.Reader, stoppingToken), TrimAsync(stoppingToken)));
    }

    private async Task ReadAsync(ChannelWriter<CeleryEvent> writer, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                status.Connected = true;
                await foreach (var celeryEvent in reader.ReadAsync("#", stoppingToken).ConfigureAwait(false))
                {
                    status.OnReceived();
                    writer.TryWrite(celeryEvent);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                status.Connected = false;
                LogReadFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ConfigureAwait(false);
            }
        }

        writer.TryComplete();
    }

    private async Task WriteAsync(ChannelReader<CeleryEvent> reader, CancellationToken stoppingToken)
    {
        var pending = new List<Task>(WriteBatch);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (pending.Count < WriteBatch && reader.TryRead(out var celeryEvent))
                {
                    pending.Add(celeryEvent.Group == "worker" ? heartbeats.RecordAsync(celeryEvent) : index.ApplyAsync(celeryEvent));
                }

                try
                {
                    await Task.WhenAll(pending).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A Redis outage loses these events (as a reader that was not connected would); the next ones go on.
                    LogWriteFailed(logger, pending.Count, ex);
                }

                pending.Clear();
                status.OnChanged();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task TrimAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TrimInterval);
        try
        {
            await BackfillAsync(stoppingToken).ConfigureAwait(false);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    if (await index.TrimAsync(stoppingToken).ConfigureAwait(false) is > 0 and var removed)
                    {
                        LogTrimmed(logger, removed);
                        status.OnChanged();
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogTrimFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // An index written by an older console has no search text; searches find its tasks once this has run.
    private async Task BackfillAsync(CancellationToken stoppingToken)
    {
        try
        {
            await index.BackfillSearchTextAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogBackfillFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Adding search text to the tasks of an older index failed; searches miss them")]
    private static partial void LogBackfillFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading Celery events failed; reconnecting")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing {Count} events to the task index failed")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} tasks over the index bound or past their time to live")]
    private static partial void LogTrimmed(ILogger logger, long count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Trimming the task index failed")]
    private static partial void LogTrimFailed(ILogger logger, Exception exception);
}
