using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Protocol;
using Onboarding.TaskEngine.Publishing;
using Onboarding.TaskEngine.Redis;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Onboarding.Benchmarks;

/// <summary>
/// Where a task's time goes: each step of publish, consume/execute and result store/notify measured on its own with
/// Stopwatch and allocation counters, next to the raw client-library operation it wraps.
/// </summary>
internal static class HotPathProfile
{
    public static async Task RunAsync(
        BenchmarkInfrastructure infrastructure, BenchmarkOptions options, BenchmarkReport report, TextWriter log, CancellationToken cancellationToken)
    {
        var cpu = options.Scale(20_000);
        var io = options.Scale(2_000);
        var queue = EngineHost.NewQueueName("profile");
        await using var host = await EngineHost.StartAsync(infrastructure, queue, worker: false, options.Concurrency, cancellationToken).ConfigureAwait(false);
        var client = host.Client;
        var now = DateTimeOffset.UtcNow;
        var message = new TaskMessage { Id = TaskClient.NewTaskId(), Name = DiagnosticTasks.Noop, Origin = "gen1@bench", IgnoreResult = true };
        var encoded = TaskEnvelope.Encode(message);
        var properties = new BasicProperties
        {
            ContentType = TaskEnvelope.ContentType,
            ContentEncoding = TaskEnvelope.ContentEncoding,
            CorrelationId = message.Id,
            DeliveryMode = DeliveryModes.Persistent,
            Headers = encoded.Headers,
        };

        void Add(ProfileRow row)
        {
            report.Profile.Add(row);
            log.WriteLine(FormattableString.Invariant($"  {row.Step}: {row.MicrosecondsPerOp:N1} µs/op, {row.BytesPerOp:N0} B/op"));
        }

        // Publish.
        Add(Measure("encode: TaskEnvelope.Encode (headers + body + argsrepr)", cpu, _ => TaskEnvelope.Encode(message),
            FormattableString.Invariant($"body {encoded.Body.Length} B, {encoded.Headers.Count} headers")));
        Add(await MeasureAsync("publish: ITaskClient.SendAsync, sequential (encode + confirm round trip)", io,
            _ => client.SendAsync(DiagnosticTasks.Noop, options: new TaskSendOptions { IgnoreResult = true }, cancellationToken: cancellationToken)).ConfigureAwait(false));
        await using (var confirmed = await host.Connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false))
        {
            Add(await MeasureAsync("publish: raw BasicPublishAsync with confirm tracking, sequential", io,
                _ => confirmed.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
            Add(await MeasureConcurrentAsync("publish: raw BasicPublishAsync with confirm tracking, 64 in flight, one channel", cpu, 64,
                _ => confirmed.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
            Add(await MeasureConcurrentAsync("publish: raw BasicPublishAsync with confirm tracking, 1,024 in flight, one channel", cpu, 1024,
                _ => confirmed.BasicPublishAsync(string.Empty, queue, mandatory: true, properties, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
            var transient = new BasicProperties(properties) { DeliveryMode = DeliveryModes.Transient };
            Add(await MeasureConcurrentAsync("publish: raw BasicPublishAsync with confirm tracking, 64 in flight, TRANSIENT (no disk write before the confirm)", cpu, 64,
                _ => confirmed.BasicPublishAsync(string.Empty, queue, mandatory: true, transient, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
        }

        var pool = new IChannel[4];
        for (var i = 0; i < pool.Length; i++)
        {
            pool[i] = await host.Connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken).ConfigureAwait(false);
        }

        try
        {
            Add(await MeasureConcurrentAsync("publish: raw BasicPublishAsync with confirm tracking, 64 in flight over 4 channels", cpu, 64,
                i => pool[i % pool.Length].BasicPublishAsync(string.Empty, queue, mandatory: true, properties, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
        }
        finally
        {
            foreach (var channel in pool)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
        }

        Add(await MeasureConcurrentAsync("publish: ITaskClient.SendAsync, 64 in flight (engine's one shared channel)", cpu, 64,
            _ => client.SendAsync(DiagnosticTasks.Noop, options: new TaskSendOptions { IgnoreResult = true }, cancellationToken: cancellationToken)).ConfigureAwait(false));
        Add(await MeasureConcurrentAsync("publish: ITaskClient.SendAsync, 1,024 in flight", cpu, 1024,
            _ => client.SendAsync(DiagnosticTasks.Noop, options: new TaskSendOptions { IgnoreResult = true }, cancellationToken: cancellationToken)).ConfigureAwait(false));
        await using (var unconfirmed = await host.Connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            Add(await MeasureConcurrentAsync("publish: raw BasicPublishAsync without confirms (ceiling, unsafe)", cpu, 64,
                _ => unconfirmed.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, encoded.Body, cancellationToken).AsTask()).ConfigureAwait(false));
        }

        // Consume / execute (the executor without AMQP: decode → revoked? → scope → handler → store).
        var executor = host.Services.GetRequiredService<TaskExecutor>();
        var delivery = new TaskDelivery
        {
            Queue = queue,
            DeliveryTag = 1,
            Body = encoded.Body,
            Headers = AsDelivered(encoded.Headers),
            ContentType = TaskEnvelope.ContentType,
            ContentEncoding = TaskEnvelope.ContentEncoding,
            ReceivedAt = now,
        };
        Add(Measure("consume: TaskEnvelope.Decode", cpu, _ => TaskEnvelope.Decode(delivery.Headers, delivery.Body, delivery.ContentType), string.Empty));
        // A worker loads the revocations at start (and every 15 s): with a fresh copy the check costs no round trip.
        var revocations = host.Services.GetRequiredService<RevocationCache>();
        await revocations.SyncAsync(cancellationToken).ConfigureAwait(false);
        Add(await MeasureAsync("execute: TaskExecutor.ExecuteAsync, no-op, ignore_result (decode + in-memory revocation check + scope + handler)", io,
            _ => executor.ExecuteAsync(delivery, () => Task.CompletedTask, CancellationToken.None)).ConfigureAwait(false));
        // A fresh id each time: the store skips its write when SUCCESS is already there.
        var resultDeliveries = Enumerable.Range(0, io + 100).Select(_ =>
        {
            var withResult = TaskEnvelope.Encode(message with { Id = TaskClient.NewTaskId(), IgnoreResult = false });
            return delivery with { Headers = AsDelivered(withResult.Headers), Body = withResult.Body };
        }).ToArray();
        var next = 0;
        Add(await MeasureAsync("execute: TaskExecutor.ExecuteAsync, no-op with result (+ store)", io,
            _ => executor.ExecuteAsync(resultDeliveries[next++], () => Task.CompletedTask, CancellationToken.None)).ConfigureAwait(false));

        // Results.
        var backend = host.Services.GetRequiredService<RedisResultBackend>();
        var redis = host.Redis;
        var meta = ResultMetaWriter.Success(message.Id, null, now, null, null);
        Add(Measure("store: ResultMetaWriter.Success", cpu, _ => ResultMetaWriter.Success(message.Id, null, now, null, null),
            FormattableString.Invariant($"{meta.Length} B")));
        Add(Measure("wait: ResultMeta.Parse", cpu, _ => ResultMeta.Parse(meta), string.Empty));
        var ids = Enumerable.Range(0, io).Select(_ => TaskClient.NewTaskId()).ToArray();
        Add(await MeasureAsync("store: RedisResultBackend.StoreAsync (one EVALSHA: SUCCESS check, SETEX, PUBLISH)", io,
            i => backend.StoreAsync(ids[i], meta, cancellationToken)).ConfigureAwait(false));
        Add(await MeasureAsync("store: raw SETEX alone (one round trip)", io,
            i => redis.StringSetAsync("bench-raw-" + ids[i], meta, TimeSpan.FromMinutes(5))).ConfigureAwait(false));
        await revocations.SyncAsync(cancellationToken).ConfigureAwait(false);
        Add(await MeasureAsync("execute: RevocationCache.IsRevokedAsync, fresh copy (what each delivery pays)", io,
            i => revocations.IsRevokedAsync(ids[i], mayPrecedeNotice: false, cancellationToken).AsTask()).ConfigureAwait(false));
        Add(await MeasureAsync("execute: RedisResultBackend.IsRevokedAsync (EXISTS: the fallback while the copy is stale)", io,
            i => backend.IsRevokedAsync(ids[i], cancellationToken)).ConfigureAwait(false));
        Add(await MeasureAsync("wait: TaskResult.GetAsync of a stored result (shared per-id SUBSCRIBE + GET + UNSUBSCRIBE)", io,
            i => client.GetResult(ids[i]).GetAsync(TimeSpan.FromSeconds(30), cancellationToken)).ConfigureAwait(false));
        Add(await MeasureAsync("wait: raw GET alone", io, i => redis.StringGetAsync(backend.MetaKey(ids[i]))).ConfigureAwait(false));
        Add(await MeasureConcurrentAsync("store: RedisResultBackend.StoreAsync, 64 in flight", io, 64,
            i => backend.StoreAsync(ids[i], meta, cancellationToken)).ConfigureAwait(false));

        foreach (var id in ids)
        {
            _ = redis.KeyDeleteAsync([backend.MetaKey(id), "bench-raw-" + id], CommandFlags.FireAndForget);
        }
    }

    /// <summary>Headers as RabbitMQ.Client delivers them: AMQP long strings arrive as UTF-8 byte arrays.</summary>
    private static Dictionary<string, object?> AsDelivered(Dictionary<string, object?> headers) =>
        headers.ToDictionary(
            pair => pair.Key,
            pair => pair.Value switch
            {
                string text => System.Text.Encoding.UTF8.GetBytes(text),
                List<object?> list => list.Select(item => item is string text ? (object?)System.Text.Encoding.UTF8.GetBytes(text) : item).ToList(),
                var value => value,
            },
            StringComparer.Ordinal);

    private static ProfileRow Measure(string step, int count, Func<int, object?> operation, string notes)
    {
        // Warm up for at least half a second, so tiered compilation (and PGO) has promoted the code being measured.
        var warmUp = Stopwatch.StartNew();
        for (var i = 0; i < 1_000 || warmUp.ElapsedMilliseconds < 500; i++)
        {
            _ = operation(i % count);
        }

        // Five batches; the fastest is the one least disturbed by other processes on a shared machine.
        const int Batches = 5;
        var batch = Math.Max(1, count / Batches);
        var best = double.MaxValue;
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        for (var b = 0; b < Batches; b++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch; i++)
            {
                _ = operation(i);
            }

            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds / batch);
        }

        var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var text = FormattableString.Invariant($"best of {Batches} batches");
        return new ProfileRow(step, best, bytes / (double)(batch * Batches), batch * Batches, notes.Length == 0 ? text : notes + "; " + text);
    }

    private static async Task<ProfileRow> MeasureAsync(string step, int count, Func<int, Task> operation)
    {
        for (var i = 0; i < Math.Min(count, 100); i++)
        {
            await operation(i).ConfigureAwait(false);
        }

        // Whole-process allocation: awaits hop threads, and nothing else runs in this process meanwhile.
        var samples = new double[count];
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation(i).ConfigureAwait(false);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var (p50, _, p99) = Workloads.Percentiles(samples);
        return new ProfileRow(step, p50, bytes / (double)count, count,
            FormattableString.Invariant($"sequential, median; mean {samples.Average():N0} µs, p99 {p99:N0} µs"));
    }

    private static async Task<ProfileRow> MeasureConcurrentAsync(string step, int count, int parallelism, Func<int, Task> operation)
    {
        await Workloads.ForEachConcurrentAsync(Math.Min(count, 500), parallelism, operation).ConfigureAwait(false);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var cpu = Workloads.CpuTime();
        var brokerCpu = Workloads.BrokerCpuTime();
        var started = Stopwatch.GetTimestamp();
        await Workloads.ForEachConcurrentAsync(count, parallelism, operation).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuPerOp = (Workloads.CpuTime() - cpu).TotalMicroseconds / count;
        var brokerNote = step.StartsWith("publish", StringComparison.Ordinal) ? Workloads.BrokerCpuNote(brokerCpu, count, "message") : string.Empty;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var rate = count / elapsed.TotalSeconds;
        return new ProfileRow(step, elapsed.TotalMicroseconds / count, bytes / (double)count, count,
            FormattableString.Invariant($"throughput {rate:N0}/s (µs/op = 1/throughput); CPU of this process {cpuPerOp:N1} µs/op{brokerNote}"));
    }
}
