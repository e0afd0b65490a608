using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// The worker's mailbox (kombu's pidbox <c>Node</c>): consumes <c>&lt;node&gt;.celery.pidbox</c> once the worker
/// consumes its task queues, runs the commands addressed to this node (no destination, a destination list naming it,
/// or a glob/pcre pattern matching it) and replies <c>{node: reply}</c> to the caller's reply queue with its ticket.
/// Commands run off the broker's dispatch thread and on a channel of their own, so a slow command or reply never
/// delays task deliveries, and task traffic never delays a reply.
/// </summary>
internal sealed class PidboxService(
    WorkerNode node,
    TaskWorkerService worker,
    ControlCommands commands,
    IMailbox mailbox,
    EventDispatcher dispatcher,
    ILogger<PidboxService> logger) : BackgroundService
{
    private static readonly TimeSpan ReopenPause = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _publish = new(1, 1);
    private IMailboxConnection? _channel;
    private CancellationToken _stopping;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            await worker.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    _channel = await mailbox.ListenAsync(node.Name, OnMessageAsync, stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (mailbox.IsUnavailable(ex))
                {
                    OperationsLog.MailboxReconnecting(logger, ex.Message);
                    await Task.Delay(ReopenPause, stoppingToken).ConfigureAwait(false);
                    continue;
                }

                OperationsLog.NodeListening(logger, node.Name, PidboxNames.NodeQueue(node.Name));
                var reason = await _channel.Closed.WaitAsync(stoppingToken).ConfigureAwait(false);
                OperationsLog.MailboxReconnecting(logger, reason);
                await _channel.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }

        if (_channel is not null)
        {
            await _channel.CloseAsync().ConfigureAwait(false);
            await _channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task OnMessageAsync(MailboxMessage message)
    {
        // Celery forwards its clock for every command (callers seldom send a useful one) and adjusts to theirs.
        dispatcher.Clock.Forward();
        if (message.Clock is { } clock)
        {
            dispatcher.Clock.Adjust(clock);
        }

        _ = Task.Run(() => HandleAsync(message), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task HandleAsync(MailboxMessage message)
    {
        string method;
        JsonElement arguments;
        string? ticket;
        string? replyExchange = null;
        string? replyRoutingKey = null;
        try
        {
            using var document = JsonDocument.Parse(message.Body);
            var body = document.RootElement;
            if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("method", out var m) || m.ValueKind != JsonValueKind.String)
            {
                OperationsLog.CommandUnreadable(logger, "no method");
                return;
            }

            if (!IsForMe(body, node.Name))
            {
                return;
            }

            method = m.GetString()!;
            arguments = body.TryGetProperty("arguments", out var a) ? a.Clone() : default;
            ticket = body.TryGetProperty("ticket", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (body.TryGetProperty("reply_to", out var replyTo) && replyTo.ValueKind == JsonValueKind.Object)
            {
                replyExchange = replyTo.TryGetProperty("exchange", out var e) ? e.GetString() : null;
                replyRoutingKey = replyTo.TryGetProperty("routing_key", out var r) ? r.GetString() : null;
            }
        }
        catch (JsonException ex)
        {
            OperationsLog.CommandUnreadable(logger, ex.Message);
            return;
        }

        var reply = await commands.HandleAsync(method, arguments, _stopping).ConfigureAwait(false);
        if (replyExchange is null || replyRoutingKey is null || ControlCommands.SendsNoReply(method))
        {
            return;
        }

        var body2 = WrapReply(node.Name, reply);
        await _publish.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true } channel)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await channel.PublishReplyAsync(replyExchange, replyRoutingKey, ticket, dispatcher.Clock.Forward(), body2, timeout.Token)
                    .ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (mailbox.IsUnavailable(ex) || ex is OperationCanceledException)
        {
            OperationsLog.CommandFailed(logger, ex, method + " (reply)");
        }
        finally
        {
            _publish.Release();
        }
    }

    /// <summary>kombu's destination rules: a list names the nodes; else a pattern with its matcher; else everyone.</summary>
    internal static bool IsForMe(JsonElement body, string nodeName)
    {
        if (body.TryGetProperty("destination", out var destination) && destination.ValueKind == JsonValueKind.Array && destination.GetArrayLength() > 0)
        {
            return destination.EnumerateArray().Any(d => d.ValueKind == JsonValueKind.String && d.GetString() == nodeName);
        }

        if (body.TryGetProperty("pattern", out var pattern) && pattern.ValueKind == JsonValueKind.String
            && body.TryGetProperty("matcher", out var matcher) && matcher.ValueKind == JsonValueKind.String)
        {
            var text = pattern.GetString()!;
            return matcher.GetString() switch
            {
                "pcre" => Regex.IsMatch(nodeName, text, RegexOptions.None, TimeSpan.FromSeconds(1)),
                _ => Regex.IsMatch(nodeName, "^" + Regex.Escape(text).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$",
                    RegexOptions.None, TimeSpan.FromSeconds(1)),
            };
        }

        return true;
    }

    private static byte[] WrapReply(string nodeName, byte[] reply)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(reply.Length + nodeName.Length + 8);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName(nodeName);
            writer.WriteRawValue(reply, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
