using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// <see cref="ICeleryEventReader"/> on RabbitMQ: a receiver queue per stream; batches (<c>task.multi</c>, a JSON
/// array) are split into their events. A reader that falls far behind loses the oldest events (counted and logged)
/// instead of letting the broker pile them up.
/// </summary>
internal sealed class CeleryEventReader(ICeleryEventTransport transport, ILogger<CeleryEventReader> logger) : ICeleryEventReader
{
    private const int Backlog = 100_000;
    private static readonly TimeSpan ReconnectPause = TimeSpan.FromSeconds(1);

    public async IAsyncEnumerable<CeleryEvent> ReadAsync(string routingKey = "#", [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        var dropped = 0L;
        var bodies = Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(Backlog) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            _ => Interlocked.Increment(ref dropped));
        IEventReceiver? channel = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (channel is not { IsOpen: true })
                {
                    if (channel is not null)
                    {
                        await channel.DisposeAsync().ConfigureAwait(false);
                        channel = null;
                    }

                    try
                    {
                        channel = await transport.ReceiveAsync(routingKey, bodies.Writer, cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (transport.IsUnavailable(ex))
                    {
                        OperationsLog.EventReaderReconnecting(logger, ex.Message);
                        await Task.Delay(ReconnectPause, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                }

                ReadOnlyMemory<byte> body;
                try
                {
                    using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    pause.CancelAfter(ReconnectPause);
                    body = await bodies.Reader.ReadAsync(pause.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Nothing for a while: check that the channel still lives.
                    continue;
                }

                if (Interlocked.Exchange(ref dropped, 0) is var lost and > 0)
                {
                    OperationsLog.EventsDroppedByReader(logger, lost);
                }

                foreach (var celeryEvent in Parse(body))
                {
                    yield return celeryEvent;
                }
            }
        }
        finally
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One event object, or a batch array of them; anything else is skipped.</summary>
    internal static IReadOnlyList<CeleryEvent> Parse(ReadOnlyMemory<byte> body)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(body);
            root = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return [];
        }

        if (root.ValueKind == JsonValueKind.Array)
        {
            var events = new List<CeleryEvent>(root.GetArrayLength());
            foreach (var item in root.EnumerateArray())
            {
                if (ToEvent(item) is { } celeryEvent)
                {
                    events.Add(celeryEvent);
                }
            }

            return events;
        }

        return ToEvent(root) is { } single ? [single] : [];
    }

    private static CeleryEvent? ToEvent(JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var timestamp = item.TryGetProperty("timestamp", out var t) && t.ValueKind == JsonValueKind.Number
            ? DateTimeOffset.FromUnixTimeMilliseconds((long)(t.GetDouble() * 1000))
            : default;
        return new CeleryEvent
        {
            Type = type.GetString()!,
            Hostname = item.TryGetProperty("hostname", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString()! : string.Empty,
            Timestamp = timestamp,
            Clock = item.TryGetProperty("clock", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var clock) ? clock : null,
            TaskId = item.TryGetProperty("uuid", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null,
            Fields = item,
        };
    }
}
