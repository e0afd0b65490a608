using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.Tests.Operations;

/// <summary>
/// The .NET operations API against real workers on the real broker: <see cref="IWorkerControl"/> from a service that
/// is not a worker, and <see cref="ICeleryEventReader"/> following a worker's events.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerControlTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PingAsync_AnswersFromTheWorker_UnderItsNodeName()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture);
        await using var client = await StartClientAsync();
        var node = NodeOf(worker);

        var replies = await Control(client).PingAsync(new ControlOptions { Destination = [node] }, Token);

        var reply = Assert.Single(replies);
        Assert.Equal(node, reply.Node);
        Assert.Equal(new ControlResult(true, "pong"), reply.Value);
    }

    [Fact]
    public async Task StatsAndActiveQueuesAsync_DescribeTheWorker()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture, concurrency: 3);
        await using var client = await StartClientAsync();
        var only = new ControlOptions { Destination = [NodeOf(worker)] };
        await (await worker.Client.SendAsync(DiagnosticTasks.Add, Args(1, 2), cancellationToken: Token)).GetAsync<int>(Wait, Token);

        var stats = Assert.Single(await Control(client).StatsAsync(only, Token)).Value!;
        var queues = Assert.Single(await Control(client).ActiveQueuesAsync(only, Token)).Value!;

        Assert.Equal(3, stats.MaxConcurrency);
        Assert.Equal(1, stats.Total[DiagnosticTasks.Add]);
        Assert.Equal(worker.Queue, Assert.Single(queues).Name);
    }

    [Fact]
    public async Task RevokeAsync_WithTerminate_CancelsTheRunningHandler_AndStoresRevoked()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture);
        await using var client = await StartClientAsync();
        var only = new ControlOptions { Destination = [NodeOf(worker)] };
        var sleep = await worker.Client.SendAsync(DiagnosticTasks.Sleep, Args(120), cancellationToken: Token);
        await Eventually.UntilAsync(async () =>
            Assert.Single(await Control(client).ActiveAsync(only, Token)).Value!.Any(r => r.Id == sleep.Id), Wait, Token, TimeSpan.FromMilliseconds(200));

        var reply = Assert.Single(await Control(client).RevokeAsync([sleep.Id], terminate: true, options: only, cancellationToken: Token));

        Assert.Equal($"terminate: {sleep.Id}", reply.Value!.Message);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => sleep.GetAsync<double>(Wait, Token));
        Assert.Equal(TaskState.Revoked, failure.State);
        Assert.Contains(sleep.Id, Assert.Single(await Control(client).RevokedAsync(only, Token)).Value!);
    }

    [Fact]
    public async Task PoolGrowAsync_ChangesConcurrency_ShownByStats()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture, concurrency: 1);
        await using var client = await StartClientAsync();
        var only = new ControlOptions { Destination = [NodeOf(worker)] };

        Assert.True(Assert.Single(await Control(client).PoolGrowAsync(2, only, Token)).IsSuccess);

        await Eventually.UntilAsync(async () => Assert.Single(await Control(client).StatsAsync(only, Token)).Value!.MaxConcurrency == 3, Wait, Token);
        // The grown slots run: three sleeps at once.
        var sleeps = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => worker.Client.SendAsync(DiagnosticTasks.Sleep, Args(30), cancellationToken: Token)));
        await Eventually.UntilAsync(async () => Assert.Single(await Control(client).ActiveAsync(only, Token)).Value!.Count == 3, Wait, Token);
        await Control(client).RevokeAsync(sleeps.Select(s => s.Id), terminate: true, options: only, cancellationToken: Token);
    }

    [Fact]
    public async Task InspectQueriesAsync_DescribeWhatTheWorkerHolds_InTypedReplies()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture, concurrency: 1);
        await using var client = await StartClientAsync();
        var only = new ControlOptions { Destination = [NodeOf(worker)] };
        // One slot: the first sleep runs, the second waits reserved.
        var running = await worker.Client.SendAsync(DiagnosticTasks.Sleep, Args(120), cancellationToken: Token);
        var waiting = await worker.Client.SendAsync(DiagnosticTasks.Sleep, Args(120), cancellationToken: Token);
        try
        {
            await Eventually.UntilAsync(async () =>
                Assert.Single(await Control(client).ActiveAsync(only, Token)).Value!.Any(r => r.Id == running.Id)
                && Assert.Single(await Control(client).ReservedAsync(only, Token)).Value!.Any(r => r.Id == waiting.Id),
                Wait, Token, TimeSpan.FromMilliseconds(200));

            var query = Assert.Single(await Control(client).QueryTaskAsync([running.Id, waiting.Id, "unknown-id"], only, Token)).Value!;
            var registered = Assert.Single(await Control(client).RegisteredAsync(only, Token)).Value!;
            var scheduled = Assert.Single(await Control(client).ScheduledAsync(only, Token)).Value!;
            var conf = Assert.Single(await Control(client).ConfAsync(only, Token)).Value!;

            Assert.Equal("active", query[running.Id].State);
            Assert.Equal(DiagnosticTasks.Sleep, query[running.Id].Request.Name);
            Assert.Equal("reserved", query[waiting.Id].State);
            Assert.False(query.ContainsKey("unknown-id"));
            Assert.Contains(DiagnosticTasks.Add, registered);
            Assert.Empty(scheduled);
            Assert.Equal("json", conf["task_serializer"].GetString());
            var password = new Uri(fixture.RabbitMqConnectionString).UserInfo.Split(':')[1];
            Assert.DoesNotContain(password, string.Join(' ', conf.Values.Select(v => v.GetRawText())), StringComparison.Ordinal);
        }
        finally
        {
            await Control(client).RevokeAsync([running.Id, waiting.Id], terminate: true, options: only, cancellationToken: Token);
        }
    }

    [Fact]
    public async Task RateLimitAsync_ParksTasksOverTheRate_AndTimeLimitAsyncRefusesUnknownTasks()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture);
        await using var client = await StartClientAsync();
        using var parked = new DelayedCounter(worker.Queue);
        var only = new ControlOptions { Destination = [NodeOf(worker)] };

        var set = Assert.Single(await Control(client).RateLimitAsync(DiagnosticTasks.Echo, "1/m", only, Token));
        var echoes = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            worker.Client.SendAsync(DiagnosticTasks.Echo, new DiagnosticTasks.EchoArgs(JsonSerializer.SerializeToElement(i)), cancellationToken: Token)));

        Assert.Equal(new ControlResult(true, "new rate limit set successfully"), set.Value);
        Assert.Contains($"{DiagnosticTasks.Echo} [rate_limit=1/m]", Assert.Single(await Control(client).RegisteredAsync(only, Token)).Value!);
        // One a minute: one runs now, the other two wait in a delay queue (not in the worker) until the bucket refills.
        await Eventually.UntilAsync(async () =>
            parked.Count >= 2 && (await Task.WhenAll(echoes.Select(e => e.GetStateAsync(Token)))).Count(s => s == TaskState.Success) == 1,
            Wait, Token, TimeSpan.FromMilliseconds(200));
        var removed = Assert.Single(await Control(client).RateLimitAsync(DiagnosticTasks.Echo, null, only, Token));
        Assert.Equal(new ControlResult(true, "rate limit disabled successfully"), removed.Value);
        Assert.DoesNotContain(Assert.Single(await Control(client).RegisteredAsync(only, Token)).Value!, n => n.StartsWith(DiagnosticTasks.Echo + " ", StringComparison.Ordinal));

        var unknown = Assert.Single(await Control(client).TimeLimitAsync("no.such.task", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), only, Token));
        var known = Assert.Single(await Control(client).TimeLimitAsync(DiagnosticTasks.Sleep, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), only, Token));
        Assert.Equal("unknown task", unknown.Error);
        Assert.Equal(new ControlResult(true, "time limits set successfully"), known.Value);
    }

    [Fact]
    public async Task ConsumerPoolEventsAndShutdownAsync_ChangeTheWorkerLive()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture, concurrency: 3);
        await using var client = await StartClientAsync();
        var only = new ControlOptions { Destination = [NodeOf(worker)] };
        var extra = worker.Queue + ".extra";

        var add = Assert.Single(await Control(client).AddConsumerAsync(extra, only, Token));
        Assert.Equal(new ControlResult(true, $"add consumer {extra}"), add.Value);
        await Eventually.UntilAsync(async () => Assert.Single(await Control(client).ActiveQueuesAsync(only, Token)).Value!.Any(q => q.Name == extra), Wait, Token);
        var sent = await worker.Client.SendAsync(DiagnosticTasks.Add, Args(40, 2), options: new TaskSendOptions { Queue = extra }, cancellationToken: Token);
        Assert.Equal(42, await sent.GetAsync<int>(Wait, Token));
        var cancel = Assert.Single(await Control(client).CancelConsumerAsync(extra, only, Token));
        Assert.Equal(new ControlResult(true, $"no longer consuming from {extra}"), cancel.Value);
        await Eventually.UntilAsync(async () => Assert.Single(await Control(client).ActiveQueuesAsync(only, Token)).Value!.All(q => q.Name != extra), Wait, Token);

        var shrink = Assert.Single(await Control(client).PoolShrinkAsync(2, only, Token));
        Assert.Equal(new ControlResult(true, "pool will shrink"), shrink.Value);
        await Eventually.UntilAsync(async () => Assert.Single(await Control(client).StatsAsync(only, Token)).Value!.MaxConcurrency == 1, Wait, Token);

        // Started without task events (no -E): on, then off twice.
        var on = Assert.Single(await Control(client).EnableEventsAsync(only, Token));
        Assert.True(Assert.Single(await Control(client).ConfAsync(only, Token)).Value!["worker_send_task_events"].GetBoolean());
        var off = Assert.Single(await Control(client).DisableEventsAsync(only, Token));
        var offAgain = Assert.Single(await Control(client).DisableEventsAsync(only, Token));
        Assert.Equal(new ControlResult(true, "task events enabled"), on.Value);
        Assert.Equal(new ControlResult(true, "task events disabled"), off.Value);
        Assert.Equal(new ControlResult(true, "task events already disabled"), offAgain.Value);
        Assert.False(Assert.Single(await Control(client).ConfAsync(only, Token)).Value!["worker_send_task_events"].GetBoolean());

        var stopping = worker.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        await Control(client).ShutdownAsync([NodeOf(worker)], Token);

        await Eventually.UntilAsync(() => stopping.IsCancellationRequested, Wait, Token);
    }

    [Fact]
    public async Task BroadcastAsync_ReturnsTheRawReply_ForACommandTheApiDoesNotModel()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture);
        await using var client = await StartClientAsync();

        var reply = Assert.Single(await Control(client).BroadcastAsync("clock", options: new ControlOptions { Destination = [NodeOf(worker)] }, cancellationToken: Token));
        var unknown = Assert.Single(await Control(client).BroadcastAsync("no_such_command", options: new ControlOptions { Destination = [NodeOf(worker)] }, cancellationToken: Token));

        Assert.True(reply.Raw.GetProperty("clock").GetInt64() > 0);
        Assert.Equal("KeyError('no_such_command')", unknown.Error);
    }

    [Fact]
    public async Task ReadAsync_StreamsTheTaskEventsOfAWorker_WithTaskEventsOn()
    {
        await using var worker = await EngineTestHost.StartAsync(fixture);
        await using var client = await StartClientAsync(sentEvents: true);
        await using var enumerator = client.Services.GetRequiredService<ICeleryEventReader>().ReadAsync("#", Token).GetAsyncEnumerator(Token);
        var node = NodeOf(worker);
        Assert.True(Assert.Single(await Control(client).EnableEventsAsync(new ControlOptions { Destination = [node] }, Token)).IsSuccess);
        // The stream is bound once the first event (a heartbeat, every 2 s) arrives.
        Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(Wait, Token));

        var sent = await client.Services.GetRequiredService<ITaskClient>().SendAsync(DiagnosticTasks.Add, Args(20, 22), options: new TaskSendOptions { Queue = worker.Queue }, cancellationToken: Token);
        await sent.GetAsync<int>(Wait, Token);

        var seen = new List<CeleryEvent>();
        while (!seen.Any(e => e.Type == CeleryEventTypes.TaskSucceeded && e.TaskId == sent.Id) && await enumerator.MoveNextAsync().AsTask().WaitAsync(Wait, Token))
        {
            seen.Add(enumerator.Current);
        }

        while (!seen.Any(e => e.Type == CeleryEventTypes.TaskSent && e.TaskId == sent.Id) && await enumerator.MoveNextAsync().AsTask().WaitAsync(Wait, Token))
        {
            seen.Add(enumerator.Current);
        }

        // The client's task-sent and the worker's batch come from two publishers, so only the worker's order is fixed.
        var fromWorker = seen.Where(e => e.TaskId == sent.Id && e.Hostname == node).ToList();
        Assert.Equal([CeleryEventTypes.TaskReceived, CeleryEventTypes.TaskStarted, CeleryEventTypes.TaskSucceeded], fromWorker.Select(e => e.Type));
        Assert.Equal("(20, 22)", fromWorker[0].GetString("args"));
        Assert.Equal(DiagnosticTasks.Add, fromWorker[0].GetString("name"));
        Assert.Equal("42", fromWorker[2].GetString("result"));
        Assert.True(fromWorker[2].GetDouble("runtime") >= 0);
        var sentEvent = Assert.Single(seen, e => e.TaskId == sent.Id && e.Type == CeleryEventTypes.TaskSent);
        Assert.Equal(worker.Queue, sentEvent.GetString("queue"));
        Assert.Equal(worker.Queue, sentEvent.GetString("routing_key"));
    }

    [Fact]
    public async Task ReadAsync_StreamsRetriedFailedAndRejectedEvents_WithTheirCeleryFields()
    {
        await using var worker = await EngineTestHost.StartAsync(
            fixture,
            tasks: e => e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
            {
                o.MaxRetries = 1;
                o.RetryOnException<TransientException>();
                o.RetryBackoff = TimeSpan.FromMilliseconds(100);
                o.RetryJitter = false;
            }),
            services: s => s.AddSingleton(new Recorder()));
        await using var client = await StartClientAsync();
        await using var events = client.Services.GetRequiredService<ICeleryEventReader>().ReadAsync("task.#", Token).GetAsyncEnumerator(Token);
        var node = NodeOf(worker);
        Assert.True(Assert.Single(await Control(client).EnableEventsAsync(new ControlOptions { Destination = [node] }, Token)).IsSuccess);
        // The stream binds its queue on the first read: probe tasks until one of their events arrives.
        var first = events.MoveNextAsync().AsTask();
        await Eventually.UntilAsync(async () =>
        {
            await (await worker.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token)).GetAsync(Wait, Token);
            return first.IsCompleted;
        }, Wait, Token, TimeSpan.FromMilliseconds(200));
        Assert.True(await first);

        var flaky = await worker.Client.SendAsync("tests.flaky", new FlakyArgs(5), cancellationToken: Token);
        await Assert.ThrowsAsync<TaskFailedException>(() => flaky.GetAsync(Wait, Token));
        await worker.PublishRawAsync("not json"u8.ToArray(), new Dictionary<string, object?> { ["id"] = "bad-body", ["task"] = DiagnosticTasks.Add });

        var seen = new List<CeleryEvent>();
        while (!(seen.Any(e => e.Type == CeleryEventTypes.TaskFailed && e.TaskId == flaky.Id) && seen.Any(e => e.Type == CeleryEventTypes.TaskRejected))
            && await events.MoveNextAsync().AsTask().WaitAsync(Wait, Token))
        {
            seen.Add(events.Current);
        }

        var retried = Assert.Single(seen, e => e.Type == CeleryEventTypes.TaskRetried && e.TaskId == flaky.Id);
        Assert.Equal("TransientException('transient 0')", retried.GetString("exception"));
        Assert.Contains("TransientException", retried.GetString("traceback"), StringComparison.Ordinal);
        var failed = Assert.Single(seen, e => e.Type == CeleryEventTypes.TaskFailed && e.TaskId == flaky.Id);
        Assert.Equal("TransientException('transient 1')", failed.GetString("exception"));
        var rejected = Assert.Single(seen, e => e.Type == CeleryEventTypes.TaskRejected);
        Assert.Equal("bad-body", rejected.TaskId);
        Assert.False(rejected.Fields.GetProperty("requeue").GetBoolean());
    }

    [Fact]
    public async Task NodeQueue_ExpiresAfterItsWorkerDied_AsKombusDoes()
    {
        var node = $"expiring-{Guid.NewGuid():N}@localhost";
        await using var client = await StartClientAsync();
        await using var worker = WorkerProcess.Start(fixture, $"expiry.{Guid.NewGuid():N}", 1, $"--Worker:Hostname={node}");
        await Eventually.UntilAsync(async () => (await Control(client).PingAsync(new ControlOptions { Destination = [node] }, Token)).Count == 1,
            TimeSpan.FromSeconds(90), Token, TimeSpan.FromMilliseconds(500));
        Assert.True(await QueueExistsAsync(client, node + ".celery.pidbox"));
        // kombu declares a node's queue (and the exchange it binds to) with its own arguments: the broker accepts that
        // declaration only when ours are the same, so this worker's queue is exactly the one a Celery node would have.
        var declare = Interop.PythonCelery.NewProcess(
            Interop.PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString),
            ["-c", $"from interop_app import app\nwith app.connection() as c:\n    app.control.mailbox.get_queue('{node}')(c.default_channel).declare()\nprint('declared')"]);
        using (var python = System.Diagnostics.Process.Start(declare) ?? throw new InvalidOperationException("python3 did not start."))
        {
            var output = python.StandardOutput.ReadToEndAsync(Token);
            var error = python.StandardError.ReadToEndAsync(Token);
            await python.WaitForExitAsync(Token);
            Assert.True(python.ExitCode == 0 && (await output).Contains("declared", StringComparison.Ordinal), await error);
        }

        await worker.KillAsync();

        await Eventually.UntilAsync(async () => !await QueueExistsAsync(client, node + ".celery.pidbox"), TimeSpan.FromSeconds(60), Token, TimeSpan.FromSeconds(1));
    }

    /// <summary>How many of a queue's messages the engine moved to a delay queue, read through a MeterListener.</summary>
    private sealed class DelayedCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public DelayedCounter(string queue)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TaskEngineDiagnostics.Name && instrument.Name == "onboarding.tasks.delayed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "messaging.destination.name" && Equals(tag.Value, queue))
                    {
                        Interlocked.Add(ref _count, value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }

    private static JsonElement[] Args(params int[] values) => [.. values.Select(v => JsonSerializer.SerializeToElement(v))];

    private static IWorkerControl Control(EngineTestHost host) => host.Services.GetRequiredService<IWorkerControl>();

    private static string NodeOf(EngineTestHost worker) => worker.Services.GetRequiredService<WorkerNode>().Name;

    private Task<EngineTestHost> StartClientAsync(bool sentEvents = false) =>
        EngineTestHost.StartAsync(fixture, tasks: engine => engine.AddWorkerControl(), worker: false, services: services =>
        {
            if (sentEvents)
            {
                services.Configure<global::Onboarding.TaskEngine.DependencyInjection.TaskEngineOptions>(o => o.SendSentEvents = true);
            }
        });

    private static async Task<bool> QueueExistsAsync(EngineTestHost host, string queue)
    {
        await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token);
        try
        {
            await channel.QueueDeclarePassiveAsync(queue, Token);
            return true;
        }
        catch (OperationInterruptedException)
        {
            return false;
        }
    }
}
