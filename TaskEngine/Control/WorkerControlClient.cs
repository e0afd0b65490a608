using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// <see cref="IWorkerControl"/> on the pidbox exchanges: one reply queue per client (kombu's per-process
/// <c>&lt;oid&gt;.reply.celery.pidbox</c>), replies routed to the waiting call by their ticket.
/// </summary>
internal sealed class WorkerControlClient(IMailbox mailbox, TimeProvider timeProvider) : IWorkerControl, IAsyncDisposable
{
    private readonly string _oid = Guid.NewGuid().ToString("D");
    private readonly ConcurrentDictionary<string, Channel<JsonElement>> _pending = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly LamportClock _clock = new();
    private IMailboxConnection? _channel;

    public async Task<IReadOnlyList<WorkerReply<JsonElement>>> BroadcastAsync(
        string command, IReadOnlyDictionary<string, object?>? arguments = null, ControlOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        options ??= ControlOptions.Default;
        if (options.Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The reply timeout must be positive.");
        }

        var ticket = Guid.NewGuid().ToString("D");
        var replies = Channel.CreateUnbounded<JsonElement>(new UnboundedChannelOptions { SingleReader = true });
        _pending[ticket] = replies;
        try
        {
            await SendAsync(command, arguments, options.Destination, ticket, options.Timeout, cancellationToken).ConfigureAwait(false);
            var limit = options.Limit ?? (options.Destination is { Count: > 0 } destination ? destination.Count : int.MaxValue);
            var collected = new List<WorkerReply<JsonElement>>();
            // As kombu collects: each reply restarts the wait, the collection ends after a quiet timeout or at the limit.
            while (collected.Count < limit)
            {
                JsonElement body;
                try
                {
                    body = await replies.Reader.ReadAsync(cancellationToken).AsTask()
                        .WaitAsync(options.Timeout, timeProvider, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    break;
                }

                if (body.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                foreach (var node in body.EnumerateObject())
                {
                    collected.Add(new WorkerReply<JsonElement>(node.Name, node.Value, ControlReplies.ErrorOf(node.Value), node.Value));
                }
            }

            return collected;
        }
        finally
        {
            _pending.TryRemove(ticket, out _);
        }
    }

    public Task CastAsync(
        string command, IReadOnlyDictionary<string, object?>? arguments = null, IReadOnlyList<string>? destination = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        return SendAsync(command, arguments, destination, ticket: null, timeout: null, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> PingAsync(ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("ping", null, options ?? new ControlOptions { Timeout = TimeSpan.FromSeconds(1) }, ControlReplies.Result, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<WorkerStats>>> StatsAsync(ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("stats", null, options, ControlReplies.Stats, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<TaskRequestInfo>>>> ActiveAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("active", null, options, ControlReplies.Requests, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<TaskRequestInfo>>>> ReservedAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("reserved", null, options, ControlReplies.Requests, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<ScheduledTaskInfo>>>> ScheduledAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("scheduled", null, options, ControlReplies.Scheduled, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<string>>>> RegisteredAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("registered", null, options, ControlReplies.Strings, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<QueueInfo>>>> ActiveQueuesAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("active_queues", null, options, ControlReplies.Queues, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyList<string>>>> RevokedAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("revoked", null, options, ControlReplies.Strings, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<IReadOnlyDictionary<string, TaskQueryResult>>>> QueryTaskAsync(
        IEnumerable<string> taskIds, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        return CallAsync("query_task", new Dictionary<string, object?> { ["ids"] = taskIds.ToArray() }, options, ControlReplies.Query, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<IReadOnlyDictionary<string, JsonElement>>>> ConfAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("conf", new Dictionary<string, object?> { ["with_defaults"] = false }, options, ControlReplies.Object, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> RevokeAsync(
        IEnumerable<string> taskIds, bool terminate = false, string? signal = null, ControlOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(taskIds);
        var ids = taskIds.ToArray();
        if (ids.Length == 0)
        {
            throw new ArgumentException("At least one task id is needed.", nameof(taskIds));
        }

        var arguments = new Dictionary<string, object?> { ["task_id"] = ids };
        if (terminate)
        {
            arguments["terminate"] = true;
            arguments["signal"] = signal ?? "SIGTERM";
        }

        return CallAsync("revoke", arguments, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> RateLimitAsync(
        string taskName, string? rateLimit, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        return CallAsync("rate_limit", new Dictionary<string, object?> { ["task_name"] = taskName, ["rate_limit"] = rateLimit ?? "0" },
            options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> TimeLimitAsync(
        string taskName, TimeSpan? soft, TimeSpan? hard, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskName);
        return CallAsync("time_limit", new Dictionary<string, object?>
        {
            ["task_name"] = taskName,
            ["soft"] = soft?.TotalSeconds,
            ["hard"] = hard?.TotalSeconds,
        }, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> AddConsumerAsync(
        string queue, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return CallAsync("add_consumer", new Dictionary<string, object?> { ["queue"] = queue }, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> CancelConsumerAsync(
        string queue, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(queue);
        return CallAsync("cancel_consumer", new Dictionary<string, object?> { ["queue"] = queue }, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> PoolGrowAsync(
        int count = 1, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return CallAsync("pool_grow", new Dictionary<string, object?> { ["n"] = count }, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> PoolShrinkAsync(
        int count = 1, ControlOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return CallAsync("pool_shrink", new Dictionary<string, object?> { ["n"] = count }, options, ControlReplies.Result, cancellationToken);
    }

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> EnableEventsAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("enable_events", null, options, ControlReplies.Result, cancellationToken);

    public Task<IReadOnlyList<WorkerReply<ControlResult>>> DisableEventsAsync(
        ControlOptions? options = null, CancellationToken cancellationToken = default) =>
        CallAsync("disable_events", null, options, ControlReplies.Result, cancellationToken);

    public Task ShutdownAsync(IReadOnlyList<string>? destination = null, CancellationToken cancellationToken = default) =>
        CastAsync("shutdown", null, destination, cancellationToken);

    private async Task<IReadOnlyList<WorkerReply<T>>> CallAsync<T>(
        string command, IReadOnlyDictionary<string, object?>? arguments, ControlOptions? options, Func<JsonElement, T> read,
        CancellationToken cancellationToken)
    {
        var raw = await BroadcastAsync(command, arguments, options, cancellationToken).ConfigureAwait(false);
        var typed = new List<WorkerReply<T>>(raw.Count);
        foreach (var reply in raw)
        {
            T? value = default;
            var error = reply.Error;
            if (error is null)
            {
                try
                {
                    value = read(reply.Raw);
                }
                catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException or OverflowException)
                {
                    error = "Unexpected reply: " + ex.Message;
                }
            }

            typed.Add(new WorkerReply<T>(reply.Node, value, error, reply.Raw));
        }

        return typed;
    }

    private async Task SendAsync(
        string command, IReadOnlyDictionary<string, object?>? arguments, IReadOnlyList<string>? destination, string? ticket, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        var body = ControlReplies.Command(command, arguments, destination is { Count: > 0 } ? destination : null, ticket, _oid);
        var expires = timeout is { } wait
            ? (timeProvider.GetUtcNow() + wait).ToUnixTimeMilliseconds() / 1000.0
            : 0;
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var channel = await GetChannelAsync(cancellationToken).ConfigureAwait(false);
            await channel.PublishCommandAsync(body, _clock.Forward(), expires, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<IMailboxConnection> GetChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }

        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _channel = await mailbox.ListenForRepliesAsync(_oid, OnReply, cancellationToken).ConfigureAwait(false);
        return _channel;
    }

    private Task OnReply(MailboxMessage message)
    {
        if (message.Clock is { } clock)
        {
            _clock.Adjust(clock);
        }

        // A reply to a call that already ended (or to another client's ticket) is dropped, as kombu drops it.
        if (message.Ticket is { } ticket && _pending.TryGetValue(ticket, out var replies))
        {
            try
            {
                using var document = JsonDocument.Parse(message.Body);
                replies.Writer.TryWrite(document.RootElement.Clone());
            }
            catch (JsonException)
            {
                // Not JSON: not a Celery reply.
            }
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null)
        {
            await _channel.DisposeAsync().ConfigureAwait(false);
        }

        _lock.Dispose();
    }
}
