using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Interop;

/// <summary>
/// Our engine and real Celery 5.2.6 (Debian's python3-celery) in one fleet, on the same RabbitMQ and Redis: Python
/// clients against our workers, our client against Python workers.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CeleryInteropTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private Dictionary<string, string> PythonEnvironment =>
        PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);

    [Fact]
    public async Task PythonClient_GetsTheResult_OfATaskOurWorkerRan()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, DiagnosticTasks.Add, "[20, 22]", Token, "--queue", host.Queue);

        Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        Assert.Equal(42, outcome.GetProperty("result").GetInt32());
    }

    [Fact]
    public async Task PythonClient_PassesKwargsAndStructuredValues_ToOurWorker()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(
            PythonEnvironment, DiagnosticTasks.Echo, "[]", Token,
            "--kwargs", """{"value": {"name": "Ada", "tags": ["x", 1, null], "ratio": 0.5}}""", "--queue", host.Queue);

        Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        var value = outcome.GetProperty("result");
        Assert.Equal("Ada", value.GetProperty("name").GetString());
        Assert.Equal(3, value.GetProperty("tags").GetArrayLength());
        Assert.Equal(0.5, value.GetProperty("ratio").GetDouble());
    }

    [Fact]
    public async Task PythonClient_GetsAFloat_WhenOurWorkerSumsFloatsToAWholeNumber()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, DiagnosticTasks.Xsum, "[[0.5, 0.5]]", Token, "--queue", host.Queue);

        Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        // send_task.py prints json.dumps(AsyncResult.get()): a Python float prints as 1.0, an int as 1.
        Assert.Equal("1.0", outcome.GetProperty("result").GetRawText());
    }

    [Fact]
    public async Task PythonClient_ReRaisesTypeError_WhenArgumentsDoNotFitOurTask()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, DiagnosticTasks.Add, "[\"a\", {}]", Token, "--queue", host.Queue);

        Assert.Equal("FAILURE", outcome.GetProperty("status").GetString());
        Assert.Equal("TypeError", outcome.GetProperty("exc_type").GetString());
        Assert.Equal("can only concatenate str (not \"dict\") to str", outcome.GetProperty("exc_message").GetString());
    }

    [Fact]
    public async Task PythonClient_ReRaisesTheFailure_OfATaskOurWorkerRan()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, DiagnosticTasks.Fail, """["card declined"]""", Token, "--queue", host.Queue);

        Assert.Equal("FAILURE", outcome.GetProperty("status").GetString());
        Assert.Contains("card declined", outcome.GetProperty("exc_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PythonClient_SeesNotRegistered_WhenOurWorkerDoesNotKnowTheTask()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, "tests.nonexistent", "[]", Token, "--queue", host.Queue);

        Assert.Equal("FAILURE", outcome.GetProperty("status").GetString());
        Assert.Equal("NotRegistered", outcome.GetProperty("exc_type").GetString());
        Assert.Equal(1u, await host.MessageCountAsync(host.DeadLetterQueue));
    }

    [Fact]
    public async Task PythonClient_GetsTheResult_AfterOurWorkerRetriedThroughTheBroker()
    {
        var recorder = new Recorder();
        await using var host = await EngineTestHost.StartAsync(
            fixture,
            tasks: e => e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
            {
                o.MaxRetries = 3;
                o.RetryOnException<TransientException>();
                o.RetryBackoff = TimeSpan.FromMilliseconds(200);
                o.RetryBackoffMax = TimeSpan.FromMilliseconds(400);
                o.RetryJitter = false;
            }),
            services: s => s.AddSingleton(recorder));

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, "tests.flaky", "[2]", Token, "--queue", host.Queue);

        Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        Assert.Equal(2, outcome.GetProperty("result").GetInt32());
        var id = outcome.GetProperty("id").GetString();
        Assert.Equal([(id!, 0), (id!, 1), (id!, 2)], recorder.Runs.ToArray());
    }

    [Fact]
    public async Task PythonClientCountdown_IsHonouredByOurWorker()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var sent = DateTimeOffset.UtcNow;

        var outcome = await PythonCelery.SendAsync(PythonEnvironment, DiagnosticTasks.Ping, "[]", Token, "--queue", host.Queue, "--countdown", "2");

        Assert.Equal("pong", outcome.GetProperty("result").GetString());
        var done = DateTimeOffset.Parse(outcome.GetProperty("date_done").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.True(done - sent >= TimeSpan.FromSeconds(1.9), $"ran {done - sent} after sending");
    }

    [Fact]
    public async Task OurClient_GetsTheResult_OfATaskAPythonWorkerRan()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment, host.Queue, Token);

        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [Json("2"), Json("3")], cancellationToken: Token);

        Assert.Equal(5, (await result.GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(TaskState.Success, await result.GetStateAsync(Token));
    }

    [Fact]
    public async Task OurClient_SeesThePythonException_WhenAPythonTaskFails()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment, host.Queue, Token);

        var result = await host.Client.SendAsync(DiagnosticTasks.Fail, [Json("\"boom\"")], cancellationToken: Token);

        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Failure, failure.State);
        Assert.Equal("ValueError", failure.ExcType);
        Assert.Equal("builtins", failure.ExcModule);
        Assert.Contains("boom", failure.ExcMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OurClient_GetsTheResult_AfterAPythonWorkerRetried()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment, host.Queue, Token);

        var result = await host.Client.SendAsync("interop.flaky", [Json("2")], cancellationToken: Token);

        var value = await result.GetAsync(Wait, Token);
        Assert.Equal(2, value.GetProperty("retries").GetInt32());
    }

    [Fact]
    public async Task OurClientCountdown_IsHonouredByAPythonWorker()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false);
        await using var worker = await PythonCeleryWorker.StartAsync(PythonEnvironment, host.Queue, Token);
        var sent = DateTimeOffset.UtcNow;

        var result = await host.Client.SendAsync(
            DiagnosticTasks.Ping, options: new TaskSendOptions { Countdown = TimeSpan.FromSeconds(2) }, cancellationToken: Token);

        Assert.Equal("pong", (await result.GetAsync(Wait, Token)).GetString());
        var meta = await result.GetMetaAsync(Token);
        Assert.NotNull(meta?.DateDone);
        Assert.True(meta.DateDone.Value - sent >= TimeSpan.FromSeconds(1.9), $"ran {meta.DateDone.Value - sent} after sending");
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
