using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.RateLimits;
using Onboarding.TaskEngine.Topology;

namespace Onboarding.TaskEngine.Control;

/// <summary>
/// The worker's answers to Celery's remote control commands, in Celery 5.2's reply shapes (listed in docs/operations-protocol.md):
/// control commands answer <c>{"ok": …}</c> or <c>{"error": …}</c>, inspect commands answer their value. Each handler
/// writes its reply straight to JSON; a command this worker does not know answers as Celery's does, with the
/// <c>KeyError</c> the lookup raised.
/// </summary>
internal sealed class ControlCommands(
    WorkerNode node,
    TaskWorkerService worker,
    TaskExecutor executor,
    TaskRegistry registry,
    WorkerState state,
    RunningTasks running,
    RevocationCache revocations,
    IResultBackend backend,
    EventDispatcher dispatcher,
    IHostApplicationLifetime lifetime,
    IOptions<TaskEngineOptions> engineOptions,
    IOptions<TaskWorkerOptions> workerOptions,
    TimeProvider timeProvider,
    ILogger<ControlCommands> logger)
{
    /// <summary>True for commands a node never answers (Celery's shutdown raises before replying).</summary>
    public static bool SendsNoReply(string method) => method == "shutdown";

    /// <summary>Runs a command and returns the JSON reply value.</summary>
    public async Task<byte[]> HandleAsync(string method, JsonElement arguments, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            try
            {
                await WriteAsync(w, method, arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                OperationsLog.CommandFailed(logger, ex, method);
                buffer.Clear();
                w.Reset(buffer);
                Error(w, ex is KeyNotFoundException ? $"KeyError('{method}')" : $"{ex.GetType().Name}('{ex.Message}')");
            }
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task WriteAsync(Utf8JsonWriter w, string method, JsonElement arguments, CancellationToken cancellationToken)
    {
        switch (method)
        {
            case "ping":
                Ok(w, "pong");
                break;
            case "stats":
                Stats(w);
                break;
            case "active" or "dump_active":
                w.WriteStartArray();
                foreach (var request in state.Active)
                {
                    WriteActive(w, request);
                }

                w.WriteEndArray();
                break;
            case "reserved" or "dump_reserved":
                w.WriteStartArray();
                foreach (var delivery in state.Reserved)
                {
                    WriteReserved(w, delivery);
                }

                w.WriteEndArray();
                break;
            case "scheduled" or "dump_schedule":
                // Countdown and ETA tasks wait in the broker's delay queues, never in this worker.
                w.WriteStartArray();
                w.WriteEndArray();
                break;
            case "registered" or "dump_tasks":
                Registered(w);
                break;
            case "active_queues":
                ActiveQueues(w);
                break;
            case "revoked" or "dump_revoked":
                w.WriteStartArray();
                foreach (var id in revocations.Ids)
                {
                    w.WriteStringValue(id);
                }

                w.WriteEndArray();
                break;
            case "query_task":
                QueryTask(w, Strings(arguments, "ids"));
                break;
            case "conf" or "dump_conf":
                Conf(w);
                break;
            case "clock":
                w.WriteStartObject();
                w.WriteNumber("clock", dispatcher.Clock.Value);
                w.WriteEndObject();
                break;
            case "report":
                Ok(w, $"software -> onboarding-taskengine:{WorkerNode.SoftwareVersion} ({Environment.Version}) {Environment.OSVersion}");
                break;
            case "revoke":
                await RevokeAsync(w, Strings(arguments, "task_id"), Bool(arguments, "terminate"), cancellationToken).ConfigureAwait(false);
                break;
            case "terminate":
                await RevokeAsync(w, Strings(arguments, "task_id"), terminate: true, cancellationToken).ConfigureAwait(false);
                break;
            case "rate_limit":
                RateLimitCommand(w, String(arguments, "task_name"), arguments.TryGetProperty("rate_limit", out var rate) ? rate : default);
                break;
            case "time_limit":
                TimeLimit(w, String(arguments, "task_name"), Seconds(arguments, "soft"), Seconds(arguments, "hard"));
                break;
            case "enable_events":
                Ok(w, SwitchEvents(true));
                break;
            case "disable_events":
                Ok(w, SwitchEvents(false));
                break;
            case "heartbeat":
                node.SendHeartbeat();
                w.WriteNullValue();
                break;
            case "add_consumer":
                var added = String(arguments, "queue") ?? throw new ArgumentException("add_consumer needs a queue.");
                // Celery answers before the consumer exists (call_soon); so do we, and log a failure.
                _ = RunLaterAsync("add_consumer", () => worker.AddQueueAsync(added, CancellationToken.None));
                Ok(w, $"add consumer {added}");
                break;
            case "cancel_consumer":
                var cancelled = String(arguments, "queue") ?? throw new ArgumentException("cancel_consumer needs a queue.");
                _ = RunLaterAsync("cancel_consumer", () => worker.CancelQueueAsync(cancelled, CancellationToken.None));
                Ok(w, $"no longer consuming from {cancelled}");
                break;
            case "pool_grow":
                _ = RunLaterAsync("pool_grow", () => worker.ResizeAsync(Int(arguments, "n") ?? 1, CancellationToken.None));
                Ok(w, "pool will grow");
                break;
            case "pool_shrink":
                _ = RunLaterAsync("pool_shrink", () => worker.ResizeAsync(-(Int(arguments, "n") ?? 1), CancellationToken.None));
                Ok(w, "pool will shrink");
                break;
            case "shutdown":
                OperationsLog.ShutdownRequested(logger);
                lifetime.StopApplication();
                w.WriteNullValue();
                break;
            case "hello":
                // Mingle: a Python worker starting up asks its peers for their revoked ids.
                Hello(w, String(arguments, "from_node"), arguments);
                break;
            default:
                throw new KeyNotFoundException(method);
        }
    }

    private async Task RunLaterAsync<T>(string command, Func<Task<T>> action)
    {
        await Task.Yield();
        try
        {
            var result = await action().ConfigureAwait(false);
            OperationsLog.CommandApplied(logger, command, Convert.ToString(result, CultureInfo.InvariantCulture) ?? string.Empty);
        }
        catch (Exception ex)
        {
            OperationsLog.CommandFailed(logger, ex, command);
        }
    }

    private string SwitchEvents(bool on)
    {
        if (dispatcher.TaskEventsEnabled == on)
        {
            return on ? "task events already enabled" : "task events already disabled";
        }

        dispatcher.TaskEventsEnabled = on;
        OperationsLog.TaskEventsSwitched(logger, on ? "enabled" : "disabled");
        return on ? "task events enabled" : "task events disabled";
    }

    private async Task RevokeAsync(Utf8JsonWriter w, IReadOnlyList<string> ids, bool terminate, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            revocations.Add(id);
        }

        // Remembered in Redis too, so a worker that starts later (or restarts) discards them as well.
        await Task.WhenAll(ids.Select(id => backend.RevokeAsync(id, cancellationToken, notify: false))).ConfigureAwait(false);
        if (terminate)
        {
            var terminated = ids.Where(running.Revoke).ToList();
            Ok(w, terminated.Count == 0 ? "terminate: tasks unknown" : "terminate: " + string.Join(", ", terminated));
            return;
        }

        Ok(w, $"tasks {string.Join(", ", ids)} flagged as revoked");
    }

    private void RateLimitCommand(Utf8JsonWriter w, string? taskName, JsonElement rate)
    {
        var text = rate.ValueKind switch
        {
            JsonValueKind.String => rate.GetString(),
            JsonValueKind.Number => rate.GetRawText(),
            _ => null,
        };
        RateLimit? limit = null;
        var disable = string.IsNullOrWhiteSpace(text) || (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n == 0);
        if (!disable)
        {
            if (!RateLimit.TryParse(text, out var parsed))
            {
                Error(w, $"Invalid rate limit string: ValueError('{text}')");
                return;
            }

            limit = parsed;
        }

        if (taskName is null || !registry.TryGet(taskName, out _))
        {
            Error(w, "unknown task");
            return;
        }

        executor.SetRateLimit(taskName, limit);
        OperationsLog.CommandApplied(logger, "rate_limit", $"{taskName}: {text ?? "none"}");
        Ok(w, limit is null ? "rate limit disabled successfully" : "new rate limit set successfully");
    }

    private void TimeLimit(Utf8JsonWriter w, string? taskName, TimeSpan? soft, TimeSpan? hard)
    {
        if (taskName is null || !registry.TryGet(taskName, out _))
        {
            Error(w, "unknown task");
            return;
        }

        executor.SetTimeLimits(taskName, soft, hard);
        OperationsLog.CommandApplied(logger, "time_limit", $"{taskName}: soft={soft} hard={hard}");
        Ok(w, "time limits set successfully");
    }

    private void Stats(Utf8JsonWriter w)
    {
        using var process = Process.GetCurrentProcess();
        w.WriteStartObject();
        w.WriteStartObject("total");
        foreach (var (name, count) in state.Total)
        {
            w.WriteNumber(name, count);
        }

        w.WriteEndObject();
        w.WriteNumber("pid", Environment.ProcessId);
        w.WriteString("clock", dispatcher.Clock.Value.ToString(CultureInfo.InvariantCulture));
        w.WriteNumber("uptime", (long)(timeProvider.GetUtcNow() - state.StartedAt).TotalSeconds);
        w.WriteStartObject("pool");
        w.WriteNumber("max-concurrency", worker.Concurrency);
        w.WriteStartArray("processes");
        w.WriteNumberValue(Environment.ProcessId);
        w.WriteEndArray();
        w.WriteString("implementation", "onboarding.taskengine:async");
        w.WriteEndObject();
        w.WriteStartObject("broker");
        if (BrokerUris.TryGetFirst(engineOptions.Value.RabbitMqConnectionString, out var uri))
        {
            w.WriteString("hostname", uri.Host);
            w.WriteNumber("port", uri.IsDefaultPort ? 5672 : uri.Port);
            w.WriteString("userid", Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]));
            w.WriteString("virtual_host", uri.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(uri.AbsolutePath[1..]) : "/");
        }

        w.WriteString("transport", "amqp");
        w.WriteEndObject();
        w.WriteNumber("prefetch_count", worker.Prefetch);
        w.WriteStartObject("rusage");
        w.WriteNumber("utime", process.UserProcessorTime.TotalSeconds);
        w.WriteNumber("stime", process.PrivilegedProcessorTime.TotalSeconds);
        w.WriteNumber("maxrss", process.PeakWorkingSet64 / 1024);
        w.WriteEndObject();
        w.WriteString("sw_ident", WorkerNode.SoftwareIdent);
        w.WriteString("sw_ver", WorkerNode.SoftwareVersion);
        w.WriteEndObject();
    }

    private void Registered(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        foreach (var name in registry.All.Select(r => r.Name).Where(n => !n.StartsWith("celery.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            // Celery lists rate_limit (and exchange, routing_key) in brackets when the task sets them.
            w.WriteStringValue(executor.RateLimitOf(name) is { } limit ? $"{name} [rate_limit={FormatRate(limit)}]" : name);
        }

        w.WriteEndArray();
    }

    private void ActiveQueues(Utf8JsonWriter w)
    {
        var options = engineOptions.Value;
        w.WriteStartArray();
        foreach (var queue in worker.Queues)
        {
            // kombu's Queue.as_dict(recurse=True) for a queue bound to the default exchange with its own name.
            w.WriteStartObject();
            w.WriteString("name", queue);
            w.WriteStartObject("exchange");
            w.WriteString("name", string.Empty);
            w.WriteString("type", "direct");
            w.WriteNull("arguments");
            w.WriteBoolean("durable", true);
            w.WriteBoolean("passive", false);
            w.WriteBoolean("auto_delete", false);
            w.WriteNull("delivery_mode");
            w.WriteBoolean("no_declare", false);
            w.WriteEndObject();
            w.WriteString("routing_key", queue);
            // The arguments a kombu client must declare the queue with to match it.
            if (QueueArguments.ForWorkQueue(options, queue) is { } arguments)
            {
                w.WriteStartObject("queue_arguments");
                foreach (var (name, value) in arguments)
                {
                    if (value is int number)
                    {
                        w.WriteNumber(name, number);
                    }
                    else
                    {
                        w.WriteString(name, value as string);
                    }
                }

                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("queue_arguments");
            }

            w.WriteNull("binding_arguments");
            w.WriteNull("consumer_arguments");
            w.WriteBoolean("durable", true);
            w.WriteBoolean("exclusive", false);
            w.WriteBoolean("auto_delete", false);
            w.WriteBoolean("no_ack", false);
            w.WriteNull("alias");
            w.WriteStartArray("bindings");
            w.WriteEndArray();
            w.WriteNull("no_declare");
            w.WriteNull("expires");
            w.WriteNull("message_ttl");
            w.WriteNull("max_length");
            w.WriteNull("max_length_bytes");
            w.WriteNull("max_priority");
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private void QueryTask(Utf8JsonWriter w, IReadOnlyList<string> ids)
    {
        w.WriteStartObject();
        var reserved = state.Reserved;
        foreach (var id in ids)
        {
            if (state.TryGetActive(id, out var active))
            {
                w.WriteStartArray(id);
                w.WriteStringValue("active");
                WriteActive(w, active);
                w.WriteEndArray();
                continue;
            }

            var delivery = reserved.FirstOrDefault(d => HeaderOf(d, "id") == id);
            if (delivery is not null)
            {
                w.WriteStartArray(id);
                w.WriteStringValue("reserved");
                WriteReserved(w, delivery);
                w.WriteEndArray();
            }
        }

        w.WriteEndObject();
    }

    private void Conf(Utf8JsonWriter w)
    {
        var engine = engineOptions.Value;
        var options = workerOptions.Value;
        // A safe subset, in Celery's setting names: never a password.
        w.WriteStartObject();
        if (BrokerUris.TryGetFirst(engine.RabbitMqConnectionString, out var uri))
        {
            var user = uri.UserInfo.Split(':')[0];
            w.WriteString("broker_url", $"{uri.Scheme}://{user}:********@{uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port)}{uri.AbsolutePath}");
        }

        w.WriteString("task_default_queue", engine.DefaultQueue);
        w.WriteString("task_serializer", "json");
        w.WriteString("result_serializer", "json");
        w.WriteStartArray("accept_content");
        w.WriteStringValue("json");
        w.WriteEndArray();
        w.WriteNumber("result_expires", (long)engine.ResultExpires.TotalSeconds);
        w.WriteStartObject("task_routes");
        foreach (var route in engine.Routes)
        {
            w.WriteStartObject(route.Pattern);
            w.WriteString("queue", route.Queue);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteNumber("worker_concurrency", worker.Concurrency);
        w.WriteNumber("worker_prefetch_multiplier", options.PrefetchMultiplier);
        w.WriteBoolean("worker_send_task_events", dispatcher.TaskEventsEnabled);
        w.WriteBoolean("task_send_sent_event", engine.SendSentEvents);
        w.WriteBoolean("task_acks_late", true);
        w.WriteEndObject();
    }

    private void Hello(Utf8JsonWriter w, string? fromNode, JsonElement arguments)
    {
        if (fromNode == node.Name)
        {
            w.WriteNullValue();
            return;
        }

        // The starting peer's revoked ids count here too, as Celery's mingle merges them.
        if (arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty("revoked", out var theirs) && theirs.ValueKind == JsonValueKind.Object)
        {
            foreach (var id in theirs.EnumerateObject())
            {
                revocations.Add(id.Name);
            }
        }

        // Celery sends its LimitedSet's data: id -> [insertion time on the monotonic clock, id]. The receiver insists on a
        // float (a JSON number with a fraction) and keeps the id for its own expiry from that time, so "now" it is.
        var now = (Environment.TickCount64 / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
        w.WriteStartObject();
        w.WriteStartObject("revoked");
        foreach (var id in revocations.Ids)
        {
            w.WriteStartArray(id);
            w.WriteRawValue(now);
            w.WriteStringValue(id);
            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteNumber("clock", dispatcher.Clock.Forward());
        w.WriteEndObject();
    }

    // Celery's Request.info().
    private void WriteActive(Utf8JsonWriter w, ActiveRequest request)
    {
        var message = request.Message;
        w.WriteStartObject();
        w.WriteString("id", message.Id);
        w.WriteString("name", message.Name);
        w.WriteStartArray("args");
        foreach (var arg in message.Args)
        {
            arg.WriteTo(w);
        }

        w.WriteEndArray();
        w.WriteStartObject("kwargs");
        foreach (var (key, value) in message.Kwargs)
        {
            w.WritePropertyName(key);
            value.WriteTo(w);
        }

        w.WriteEndObject();
        w.WriteString("type", message.Name);
        w.WriteString("hostname", node.Name);
        w.WriteNumber("time_start", request.StartedAt.ToUnixTimeMilliseconds() / 1000.0);
        w.WriteBoolean("acknowledged", request.Acknowledged);
        WriteDeliveryInfo(w, request.Delivery);
        w.WriteNumber("worker_pid", Environment.ProcessId);
        w.WriteEndObject();
    }

    private void WriteReserved(Utf8JsonWriter w, TaskDelivery delivery)
    {
        TaskMessage? message = null;
        try
        {
            message = TaskEnvelope.Decode(delivery.Headers, delivery.Body, delivery.ContentType, delivery.ReplyTo, delivery.Priority);
        }
        catch (TaskProtocolException)
        {
            // Listed by what the headers say; the worker dead-letters it when its turn comes.
        }

        w.WriteStartObject();
        w.WriteString("id", message?.Id ?? HeaderOf(delivery, "id") ?? string.Empty);
        var name = message?.Name ?? HeaderOf(delivery, "task") ?? string.Empty;
        w.WriteString("name", name);
        w.WriteStartArray("args");
        foreach (var arg in message?.Args ?? [])
        {
            arg.WriteTo(w);
        }

        w.WriteEndArray();
        w.WriteStartObject("kwargs");
        foreach (var (key, value) in message?.Kwargs ?? new Dictionary<string, JsonElement>())
        {
            w.WritePropertyName(key);
            value.WriteTo(w);
        }

        w.WriteEndObject();
        w.WriteString("type", name);
        w.WriteString("hostname", node.Name);
        w.WriteNull("time_start");
        w.WriteBoolean("acknowledged", false);
        WriteDeliveryInfo(w, delivery);
        w.WriteNull("worker_pid");
        w.WriteEndObject();
    }

    private static string? HeaderOf(TaskDelivery delivery, string name) =>
        delivery.Headers is { } headers && headers.TryGetValue(name, out var value) ? TaskEnvelope.AsString(value) : null;

    private static void WriteDeliveryInfo(Utf8JsonWriter w, TaskDelivery delivery)
    {
        w.WriteStartObject("delivery_info");
        w.WriteString("exchange", string.Empty);
        w.WriteString("routing_key", delivery.Queue);
        w.WriteNumber("priority", delivery.Priority);
        w.WriteBoolean("redelivered", delivery.Redelivered);
        w.WriteEndObject();
    }

    private static string FormatRate(RateLimit limit)
    {
        var unit = limit.Period == TimeSpan.FromHours(1) ? "h" : limit.Period == TimeSpan.FromMinutes(1) ? "m" : "s";
        return limit.Tokens.ToString(CultureInfo.InvariantCulture) + "/" + unit;
    }

    private static void Ok(Utf8JsonWriter w, string message)
    {
        w.WriteStartObject();
        w.WriteString("ok", message);
        w.WriteEndObject();
    }

    private static void Error(Utf8JsonWriter w, string message)
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteEndObject();
    }

    // Celery accepts one id or a list wherever ids are taken (maybe_list).
    private static IReadOnlyList<string> Strings(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Array => [.. value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)],
                JsonValueKind.String => [value.GetString()!],
                _ => [],
            }
            : [];

    private static string? String(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static int? Int(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Number when value.TryGetInt32(out var n) => n,
                JsonValueKind.String when int.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            }
            : null;

    private static TimeSpan? Seconds(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.Number => value.GetDouble() > 0 ? TimeSpan.FromSeconds(value.GetDouble()) : null,
                JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0
                    => TimeSpan.FromSeconds(s),
                _ => null,
            }
            : null;

    private static bool Bool(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;
}
