using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Protocol;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.TaskEngine.Integration;

[Collection(BrokerCollection.Name)]
public sealed class TaskWorkerTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SendAsync_StoresSuccessInCeleryFormat_WhenWorkerRunsTask()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("2"), Json("3")], cancellationToken: Token);
        var value = await result.GetAsync(Wait, Token);

        Assert.Equal(5, value.GetInt32());
        var stored = (string?)await host.Redis.StringGetAsync("celery-task-meta-" + result.Id);
        Assert.StartsWith("""{"status":"SUCCESS","result":5,"traceback":null,"children":[],"date_done":""", stored);
        Assert.EndsWith($"\"task_id\":\"{result.Id}\"}}", stored);
        var ttl = await host.Redis.KeyTimeToLiveAsync("celery-task-meta-" + result.Id);
        Assert.InRange(ttl!.Value, TimeSpan.FromHours(23), TimeSpan.FromDays(1));
        Assert.Equal(TaskState.Success, await result.GetStateAsync(Token));
    }

    [Fact]
    public async Task SendAsync_RunsDiagnosticsTasks_WhenWorkerRegistersThem()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var ping = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
        var noop = await host.Client.SendAsync(DiagnosticTasks.Noop, cancellationToken: Token);
        var echo = await host.Client.SendAsync(DiagnosticTasks.Echo, [Json("""{"a":[1,"b"]}""")], cancellationToken: Token);
        var xsum = await host.Client.SendAsync(DiagnosticTasks.Xsum, [Json("[1, 2, 3.5]")], cancellationToken: Token);
        var sleep = await host.Client.SendAsync(DiagnosticTasks.Sleep, kwargs: new Dictionary<string, JsonElement> { ["seconds"] = Json("0.01") }, cancellationToken: Token);

        Assert.Equal("pong", (await ping.GetAsync(Wait, Token)).GetString());
        Assert.Equal(JsonValueKind.Null, (await noop.GetAsync(Wait, Token)).ValueKind);
        Assert.Equal("""{"a":[1,"b"]}""", (await echo.GetAsync(Wait, Token)).GetRawText());
        Assert.Equal(6.5, (await xsum.GetAsync(Wait, Token)).GetDouble());
        Assert.Equal(0.01, (await sleep.GetAsync(Wait, Token)).GetDouble());
    }

    [Fact]
    public async Task SendAsync_BindsTypedArgs_WhenSentAsKwargsOrPositional()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, tasks: e =>
            e.AddTask<WelcomeArgs, SendWelcomeEmailHandler>("user_service.tasks.send_welcome_email"));

        var typed = await host.Client.SendAsync("user_service.tasks.send_welcome_email", new WelcomeArgs(7, "a@b.c"), cancellationToken: Token);
        var positional = await host.Client.SendAsync("user_service.tasks.send_welcome_email", [Json("8"), Json("\"x@y.z\"")], cancellationToken: Token);

        Assert.Equal("welcome a@b.c #7", await typed.GetAsync<string>(Wait, Token));
        Assert.Equal("welcome x@y.z #8", await positional.GetAsync<string>(Wait, Token));
    }

    [Fact]
    public async Task GetAsync_ThrowsWithExcTypeAndMessage_WhenTaskFails()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Fail, [Json("\"boom\"")], cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Failure, ex.State);
        Assert.Equal("InvalidOperationException", ex.ExcType);
        Assert.Equal("boom", ex.ExcMessage);
        Assert.Equal("System", ex.ExcModule);
        Assert.Contains("InvalidOperationException", ex.Traceback);
    }

    [Fact]
    public async Task GetAsync_ThrowsTypeError_WhenArgumentsDoNotBind()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("1")], cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("TypeError", ex.ExcType);
        Assert.Equal("builtins", ex.ExcModule);
    }

    [Fact]
    public async Task Retry_KeepsIdAndIncrementsRetries_WhenHandlerThrowsRetryableException()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
            {
                o.RetryOnException<TransientException>();
                o.MaxRetries = 3;
                o.RetryBackoff = TimeSpan.FromMilliseconds(40);
                o.RetryJitter = false;
            }));

        var result = await host.Client.SendAsync("tests.flaky", new FlakyArgs(2), cancellationToken: Token);

        Assert.Equal(2, await result.GetAsync<int>(Wait, Token));
        Assert.Equal([(result.Id, 0), (result.Id, 1), (result.Id, 2)], recorder.Runs.ToArray());
    }

    [Fact]
    public async Task Retry_UsesCountdownAndStoresRetryState_WhenHandlerCallsContextRetry()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, ExplicitRetryHandler>("tests.explicit_retry"));
        var stopwatch = Stopwatch.StartNew();

        var result = await host.Client.SendAsync("tests.explicit_retry", new FlakyArgs(1), cancellationToken: Token);

        Assert.Equal(1, await result.GetAsync<int>(Wait, Token));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(280), $"retried after {stopwatch.Elapsed}");
        Assert.Equal([(result.Id, 0), (result.Id, 1)], recorder.Runs.ToArray());
    }

    [Fact]
    public async Task Retry_StoresFailureAndDeadLetters_WhenRetriesAreExhausted()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
            {
                o.RetryOnException<TransientException>();
                o.MaxRetries = 1;
                o.RetryBackoff = TimeSpan.FromMilliseconds(20);
                o.RetryJitter = false;
            }));

        var result = await host.Client.SendAsync("tests.flaky", new FlakyArgs(5), cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("TransientException", ex.ExcType);
        Assert.Equal("transient 1", ex.ExcMessage);
        Assert.Equal(2, recorder.Runs.Count);
        var dead = await ReadDeadLetterAsync(host);
        Assert.Equal("retries-exhausted", dead.Reason);
    }

    [Fact]
    public async Task SendAsync_KeepsCountdownInBrokerDelayQueue_WhenCountdownGiven()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var stopwatch = Stopwatch.StartNew();

        var result = await host.Client.SendAsync(
            DiagnosticTasks.Ping, options: new TaskSendOptions { Countdown = TimeSpan.FromMilliseconds(1500) }, cancellationToken: Token);

        // Confirmed into the 1024 ms delay tier: ready in the broker, not in the work queue, not held by the worker.
        Assert.Equal(1u, await host.MessageCountAsync($"onboarding.delay.{host.Queue}.1024"));
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
        Assert.Equal(TaskState.Pending, await result.GetStateAsync(Token));
        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(1450), $"ran after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Worker_MovesFutureEtaToDelayQueue_WhenForeignMessageArrivesEarly()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();
        var eta = DateTimeOffset.UtcNow.AddMilliseconds(1200);
        var stopwatch = Stopwatch.StartNew();

        await host.PublishRawAsync(
            """[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"""u8.ToArray(),
            new Dictionary<string, object?>
            {
                ["lang"] = "py", ["task"] = DiagnosticTasks.Ping, ["id"] = id, ["eta"] = CeleryTime.FormatHeader(eta), ["retries"] = 0,
            });

        Assert.Equal("pong", (await host.Client.GetResult(id).GetAsync(Wait, Token)).GetString());
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(1150), $"ran after {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Worker_StoresTimeLimitExceededAndFreesSlot_WhenHardLimitPasses()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, concurrency: 1);

        var slow = await host.Client.SendAsync(
            DiagnosticTasks.Sleep, [Json("30")], options: new TaskSendOptions { TimeLimit = TimeSpan.FromMilliseconds(300) }, cancellationToken: Token);
        var next = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => slow.GetAsync(Wait, Token));
        Assert.Equal("TimeLimitExceeded", ex.ExcType);
        Assert.Equal("billiard.exceptions", ex.ExcModule);
        Assert.Equal("0.3", ex.ExcMessage);
        Assert.Null(ex.Traceback);
        Assert.Equal("pong", (await next.GetAsync(Wait, Token)).GetString());
    }

    [Fact]
    public async Task Worker_CancelsToken_WhenSoftLimitPasses()
    {
        var gate = new Gate();
        await using var host = await EngineTestHost.StartAsync(fixture, services: s => s.AddSingleton(gate), tasks: e =>
            e.AddTask<NoArgs, WaitForCancelHandler>("tests.wait", o => o.SoftTimeLimit = TimeSpan.FromMilliseconds(200)));

        var result = await host.Client.SendAsync("tests.wait", cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("SoftTimeLimitExceeded", ex.ExcType);
        Assert.Equal("billiard.exceptions", ex.ExcModule);
    }

    [Fact]
    public async Task Worker_StoresRevokedExpired_WhenTaskExpiredBeforeStart()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync(
            DiagnosticTasks.Ping, options: new TaskSendOptions { Expires = DateTimeOffset.UtcNow.AddSeconds(-1) }, cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Revoked, ex.State);
        Assert.Equal("TaskRevokedError", ex.ExcType);
        Assert.Equal("expired", ex.ExcMessage);
    }

    [Fact]
    public async Task RevokeAsync_PersistsRevocation_WhenTaskArrivesLater()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        await host.Client.RevokeAsync(id, Token);
        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, options: new TaskSendOptions { TaskId = id }, cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Revoked, ex.State);
        Assert.Equal("revoked", ex.ExcMessage);
        Assert.True(await host.Redis.KeyTimeToLiveAsync("onboarding-revoked-" + id) > TimeSpan.FromHours(1));
    }

    [Fact]
    public async Task RevokedTask_IsNotRun_WhenItsCallerChosenIdArrivesBeforeTheRevocationNotice()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        // Persisted without the pub/sub notice: the worker's copy cannot know, as when the notice is still on its way.
        await host.Services.GetRequiredService<IResultBackend>().RevokeAsync(id, Token, notify: false);
        var result = await host.Client.SendAsync(DiagnosticTasks.Ping, options: new TaskSendOptions { TaskId = id }, cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Revoked, ex.State);
        Assert.Equal("revoked", ex.ExcMessage);
    }

    [Fact]
    public async Task RevokeAsync_IsHonouredByWorkerStartedLater_WhenRevokedWhileNoWorkerRan()
    {
        string queue;
        TaskResult result;
        await using (var client = await EngineTestHost.StartAsync(fixture, worker: false))
        {
            queue = client.Queue;
            result = await client.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
            await client.Client.RevokeAsync(result.Id, Token);
            await client.StopAsync();

            // The worker loads the live revocations from Redis at start; no pub/sub message reaches it.
            await using var worker = await EngineTestHost.StartAsync(fixture, queue: queue);

            var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
            Assert.Equal(TaskState.Revoked, ex.State);
            Assert.Equal("revoked", ex.ExcMessage);
        }
    }

    [Fact]
    public async Task RevokeAsync_CancelsRunningTask_WhenWorkerRunsIt()
    {
        var gate = new Gate();
        await using var host = await EngineTestHost.StartAsync(fixture, services: s => s.AddSingleton(gate), tasks: e =>
            e.AddTask<NoArgs, WaitForCancelHandler>("tests.wait"));

        var result = await host.Client.SendAsync("tests.wait", cancellationToken: Token);
        await gate.Started.Task.WaitAsync(Wait, Token);
        await host.Client.RevokeAsync(result.Id, Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Revoked, ex.State);
        Assert.Equal("terminated", ex.ExcMessage);
    }

    [Fact]
    public async Task StopAsync_FinishesRunningAndRequeuesUnstarted_WhenWorkerStops()
    {
        var gate = new Gate();
        var host = await EngineTestHost.StartAsync(fixture, concurrency: 1, services: s => s.AddSingleton(gate), tasks: e =>
            e.AddTask<NoArgs, GateHandler>("tests.gate"));
        await using (host)
        {
            var running = await host.Client.SendAsync("tests.gate", cancellationToken: Token);
            var waiting = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
            await gate.Started.Task.WaitAsync(Wait, Token);

            var stop = host.StopAsync();
            await host.Services.GetRequiredService<TaskWorkerService>().Draining.WaitAsync(Wait, Token);
            gate.Release.TrySetResult();
            await stop;

            Assert.Equal("released", (await running.GetAsync(Wait, Token)).GetString());
            Assert.Equal(TaskState.Pending, await waiting.GetStateAsync(Token));
            Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
        }
    }

    [Fact]
    public async Task StopAsync_RequeuesRunningTask_WhenGracePeriodEnds()
    {
        var gate = new Gate();
        var host = await EngineTestHost.StartAsync(
            fixture, concurrency: 1, gracePeriod: TimeSpan.FromMilliseconds(200), services: s => s.AddSingleton(gate),
            tasks: e => e.AddTask<NoArgs, WaitForCancelHandler>("tests.wait"));
        await using (host)
        {
            var result = await host.Client.SendAsync("tests.wait", cancellationToken: Token);
            await gate.Started.Task.WaitAsync(Wait, Token);

            await host.StopAsync();

            Assert.Equal(TaskState.Pending, await result.GetStateAsync(Token));
            Assert.Equal(1u, await host.MessageCountAsync(host.Queue));
        }
    }

    [Fact]
    public async Task StopAsync_DoesNotRequeue_WhenTaskAcksEarly()
    {
        var gate = new Gate();
        var host = await EngineTestHost.StartAsync(
            fixture, concurrency: 1, gracePeriod: TimeSpan.FromMilliseconds(200), services: s => s.AddSingleton(gate),
            tasks: e => e.AddTask<NoArgs, WaitForCancelHandler>("tests.wait", o => o.AcksLate = false));
        await using (host)
        {
            await host.Client.SendAsync("tests.wait", cancellationToken: Token);
            await gate.Started.Task.WaitAsync(Wait, Token);

            await host.StopAsync();

            // Acked when it started (acks_late=False): the broker has nothing to give back.
            Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
        }
    }

    [Fact]
    public async Task Worker_SkipsRedeliveredTask_WhenSuccessIsAlreadyStored()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.once"));
        var result = await host.Client.SendAsync("tests.once", new FlakyArgs(0), cancellationToken: Token);
        await host.Redis.StringSetAsync("celery-task-meta-" + result.Id,
            $$"""{"status":"SUCCESS","result":"first run","traceback":null,"children":[],"date_done":"2026-11-25T00:45:51.155166","task_id":"{{result.Id}}"}""");

        // Take the message and drop the channel without an ack, as a worker that died after storing would.
        await using (var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token))
        {
            Assert.NotNull(await channel.BasicGetAsync(host.Queue, autoAck: false, Token));
        }

        // One slot: the redelivered message (first in the queue) is handled before the probe that follows it.
        await using var worker = await EngineTestHost.StartAsync(fixture, queue: host.Queue, concurrency: 1, services: s => s.AddSingleton(recorder), tasks: e =>
            e.AddTask<FlakyArgs, FlakyHandler>("tests.once"));
        var after = await worker.Client.SendAsync("tests.once", new FlakyArgs(0), cancellationToken: Token);
        await after.GetAsync(Wait, Token);

        Assert.Equal("first run", (await result.GetAsync(Wait, Token)).GetString());
        Assert.Equal([(after.Id, 0)], recorder.Runs.ToArray());
    }

    internal static async Task<(string Reason, string? OriginalQueue)> ReadDeadLetterAsync(EngineTestHost host)
    {
        // The dead-letter copy is confirmed before FAILURE is stored, so it is there once the result is.
        await using var channel = await host.Connection.CreateChannelAsync(cancellationToken: Token);
        var message = await channel.BasicGetAsync(host.DeadLetterQueue, autoAck: false, Token)
            ?? throw new InvalidOperationException("Nothing was dead-lettered.");
        var headers = message.BasicProperties.Headers!;
        await channel.BasicNackAsync(message.DeliveryTag, multiple: false, requeue: true, Token);
        return (Encoding.UTF8.GetString((byte[])headers["x-death-reason"]!), Encoding.UTF8.GetString((byte[])headers["x-original-queue"]!));
    }

    internal static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
