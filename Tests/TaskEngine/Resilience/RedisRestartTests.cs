using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Workflows;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.TaskEngine.Resilience;

/// <summary>
/// Redis stopped and started again (same port, same data) while a finished task's outcome is being stored: the
/// outcome is the handler's, never a FAILURE made of the store's error, and nothing runs that a failure would run.
/// Each test has a redis-server of its own; RabbitMQ is the shared test broker.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RedisRestartTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_StoresSuccessOnceAndRunsNoErrback_WhenRedisRestartsWhileTheResultIsStored()
    {
        await using var redis = await PrivateRedisServer.StartNewAsync(Token);
        var probe = new BlipProbe();
        await using var host = await StartAsync(redis, probe, retryTimeout: TimeSpan.FromMinutes(2));
        using var store = new OutcomeStoreCounters(BlipProbe.TaskName);
        var errbackId = Guid.CreateVersion7().ToString();

        var result = await FinishWhileRedisIsDownAsync(host, redis, probe, errbackId);
        // The handler returned and its SUCCESS write failed at least once: the write is pending while Redis is away.
        await Eventually.UntilAsync(() => store.Retries > 0, Wait, Token);
        await redis.StartAsync(Token);

        Assert.Equal("finished", (await result.GetAsync(Wait, Token)).GetString());
        await host.StopAsync();
        Assert.Equal(1, probe.Runs);
        Assert.Equal(0, probe.ErrbackRuns);
        Assert.Equal(0, store.GaveUp);
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
        Assert.Equal(0u, await host.MessageCountAsync(host.DeadLetterQueue));
        Assert.False(await host.Redis.KeyExistsAsync("celery-task-meta-" + errbackId));
    }

    [Fact]
    public async Task Worker_LeavesTheMessageForRedeliveryAndStoresNoFailure_WhenRedisStaysAwayLongerThanTheRetryTimeout()
    {
        await using var redis = await PrivateRedisServer.StartNewAsync(Token);
        var probe = new BlipProbe();
        await using var host = await StartAsync(redis, probe, retryTimeout: TimeSpan.FromMilliseconds(500));
        using var store = new OutcomeStoreCounters(BlipProbe.TaskName);
        var errbackId = Guid.CreateVersion7().ToString();

        var result = await FinishWhileRedisIsDownAsync(host, redis, probe, errbackId);
        await Eventually.UntilAsync(() => store.GaveUp > 0, Wait, Token);
        await redis.StartAsync(Token);

        // Requeued, not acked: the redelivered copy finds nothing stored and runs again (at-least-once), then stores SUCCESS.
        Assert.Equal("finished", (await result.GetAsync(Wait, Token)).GetString());
        await host.StopAsync();
        Assert.Equal(2, probe.Runs);
        Assert.Equal(1, store.GaveUp);
        Assert.Equal(0, probe.ErrbackRuns);
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
        Assert.Equal(0u, await host.MessageCountAsync(host.DeadLetterQueue));
        Assert.False(await host.Redis.KeyExistsAsync("celery-task-meta-" + errbackId));
    }

    [Fact]
    public async Task Worker_StoresFailureAndRunsTheErrbackOnce_WhenRedisRestartsWhileTheFailureIsStored()
    {
        await using var redis = await PrivateRedisServer.StartNewAsync(Token);
        var probe = new BlipProbe();
        await using var host = await StartAsync(redis, probe, retryTimeout: TimeSpan.FromMinutes(2));
        using var store = new OutcomeStoreCounters(BlipProbe.FailingTaskName);
        var errbackId = Guid.CreateVersion7().ToString();

        var result = await FinishWhileRedisIsDownAsync(host, redis, probe, errbackId, BlipProbe.FailingTaskName);
        await Eventually.UntilAsync(() => store.Retries > 0, Wait, Token);
        // Nothing a failure sets off has run while its FAILURE is not stored.
        Assert.Equal(0, probe.ErrbackRuns);
        await redis.StartAsync(Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("InvalidOperationException", ex.ExcType);
        await Eventually.UntilAsync(async () => await host.Redis.KeyExistsAsync("celery-task-meta-" + errbackId), Wait, Token);
        await host.StopAsync();
        Assert.Equal(1, probe.Runs);
        Assert.Equal(1, probe.ErrbackRuns);
        Assert.Equal(0, store.GaveUp);
    }

    [Fact]
    public async Task Chord_CallsItsBodyOnceWithEveryResult_WhenRedisRestartsWhileAPartIsStored()
    {
        await using var redis = await PrivateRedisServer.StartNewAsync(Token);
        var probe = new BlipProbe();
        await using var host = await StartAsync(redis, probe, retryTimeout: TimeSpan.FromMinutes(2));
        using var store = new OutcomeStoreCounters(BlipProbe.TaskName);
        var quick = Signature.Create(DiagnosticTasks.Xsum, JsonSerializer.SerializeToElement(new[] { 12.5, 12.5 }));
        var chord = Chord.Of([quick, quick, Signature.Create(BlipProbe.TaskName)], Signature.Create(BlipProbe.SumName));

        var result = await host.Services.GetRequiredService<IWorkflowClient>().ApplyAsync(chord, Token);
        var header = Assert.IsType<GroupResult>(result.Parent);
        await probe.Gate.Started.Task.WaitAsync(Wait, Token);
        // The quick parts are stored and counted; the gated one finishes while Redis is down.
        await Eventually.UntilAsync(async () => await host.Redis.KeyExistsAsync("celery-task-meta-" + header.Children[1].Id)
            && await host.Redis.KeyExistsAsync("celery-task-meta-" + header.Children[0].Id), Wait, Token);
        await redis.StopAsync();
        probe.Gate.Release.SetResult();
        await Eventually.UntilAsync(() => store.Retries > 0, Wait, Token);
        await redis.StartAsync(Token);

        Assert.Equal("""[25.0,25.0,"finished"]""", (await result.GetAsync(Wait, Token)).GetRawText());
        await host.StopAsync();
        Assert.Equal(1, probe.Runs);
        Assert.Equal(1, probe.SumRuns);
        Assert.Equal(0u, await host.MessageCountAsync(host.DeadLetterQueue));
    }

    [Fact]
    public async Task Worker_StaysUpUnhealthyAndConsumesOnceRedisAnswers_WhenRedisIsUnreachableAtStart()
    {
        await using var redis = PrivateRedisServer.Create();
        var logs = new CapturedLogs();
        await using var host = await EngineTestHost.StartAsync(
            fixture,
            services: services => services
                .AddSingleton<ILoggerProvider>(logs)
                // The test host logs warnings and up; these captured lines include the worker's information.
                .Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(typeof(CapturedLogs).FullName, null, LogLevel.Information, null))),
            redisConnectionString: redis.ConnectionString,
            waitForWorker: false);
        var worker = host.Services.GetRequiredService<TaskWorkerService>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var health = host.Services.GetRequiredService<HealthCheckService>();

        // Two lines means it waited a whole log interval, and lived on.
        await Eventually.UntilAsync(() => logs.Count("Worker waiting for Redis") >= 2, Wait, Token);
        Assert.False(worker.Started.IsCompleted);
        Assert.False(lifetime.ApplicationStopping.IsCancellationRequested);
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync(Token)).Status);
        await redis.StartAsync(Token);

        await worker.Started.WaitAsync(Wait, Token);
        var result = await host.Client.SendAsync(DiagnosticTasks.Add, [JsonSerializer.SerializeToElement(2), JsonSerializer.SerializeToElement(3)], cancellationToken: Token);
        Assert.Equal(5, (await result.GetAsync(Wait, Token)).GetInt32());
        await Eventually.UntilAsync(async () => (await health.CheckHealthAsync(Token)).Status == HealthStatus.Healthy, Wait, Token);
        Assert.Equal(1, logs.Count("Redis answers after"));
    }

    // Sends the gated task with an errback and lets its handler return only once Redis is down.
    private static async Task<WorkflowResult> FinishWhileRedisIsDownAsync(
        EngineTestHost host, PrivateRedisServer redis, BlipProbe probe, string errbackId, string? taskName = null)
    {
        var result = await host.Services.GetRequiredService<IWorkflowClient>().ApplyAsync(
            Signature.Create(taskName ?? BlipProbe.TaskName).OnError(Signature.Create(BlipProbe.ErrbackName).WithTaskId(errbackId)), Token);
        await probe.Gate.Started.Task.WaitAsync(Wait, Token);
        await redis.StopAsync();
        probe.Gate.Release.SetResult();
        return result;
    }

    private Task<EngineTestHost> StartAsync(PrivateRedisServer redis, BlipProbe probe, TimeSpan retryTimeout) =>
        EngineTestHost.StartAsync(
            fixture,
            tasks: engine => engine
                .AddTask<NoArgs, BlipProbe.GatedHandler>(BlipProbe.TaskName)
                .AddTask<NoArgs, BlipProbe.GatedFailingHandler>(BlipProbe.FailingTaskName, o => o.MaxRetries = 0)
                .AddTask<ErrbackArgs, BlipProbe.ErrbackHandler>(BlipProbe.ErrbackName)
                .AddTask<CollectArgs, BlipProbe.SumHandler>(BlipProbe.SumName),
            services: services => services
                .AddSingleton(probe)
                .Configure<TaskEngineOptions>(o =>
                {
                    o.ResultStoreRetryTimeout = retryTimeout;
                    o.ResultStoreRetryMaxDelay = TimeSpan.FromMilliseconds(200);
                }),
            redisConnectionString: redis.ConnectionString);

    public sealed record ErrbackArgs(string TaskId);

    public sealed record CollectArgs(JsonElement Values);

    /// <summary>What the handlers of these tests saw.</summary>
    internal sealed class BlipProbe
    {
        // Unique per test run, so the counters of other tests' workers in this process do not mix in.
        public static readonly string TaskName = "tests.redis_blip." + Guid.CreateVersion7().ToString("N")[^8..];
        public static readonly string FailingTaskName = TaskName + ".fails";
        public const string ErrbackName = "tests.redis_blip_errback";
        public const string SumName = "tests.redis_blip_body";

        private int _runs;
        private int _errbackRuns;
        private int _sumRuns;

        public Gate Gate { get; } = new();

        public int Runs => Volatile.Read(ref _runs);

        public int ErrbackRuns => Volatile.Read(ref _errbackRuns);

        public int SumRuns => Volatile.Read(ref _sumRuns);

        internal sealed class GatedHandler(BlipProbe probe) : ITaskHandler<NoArgs>
        {
            public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref probe._runs);
                probe.Gate.Started.TrySetResult();
                await probe.Gate.Release.Task.WaitAsync(cancellationToken);
                return "finished";
            }
        }

        internal sealed class GatedFailingHandler(BlipProbe probe) : ITaskHandler<NoArgs>
        {
            public async ValueTask<object?> HandleAsync(NoArgs args, TaskContext context, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref probe._runs);
                probe.Gate.Started.TrySetResult();
                await probe.Gate.Release.Task.WaitAsync(cancellationToken);
                throw new InvalidOperationException("failed while Redis was away");
            }
        }

        internal sealed class ErrbackHandler(BlipProbe probe) : ITaskHandler<ErrbackArgs>
        {
            public ValueTask<object?> HandleAsync(ErrbackArgs args, TaskContext context, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref probe._errbackRuns);
                return ValueTask.FromResult<object?>(null);
            }
        }

        internal sealed class SumHandler(BlipProbe probe) : ITaskHandler<CollectArgs>
        {
            public ValueTask<object?> HandleAsync(CollectArgs args, TaskContext context, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref probe._sumRuns);
                return ValueTask.FromResult<object?>(args.Values);
            }
        }
    }

    /// <summary>The engine's log lines, kept for assertions on what an operator would read.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public int Count(string text) => _lines.Count(line => line.Contains(text, StringComparison.Ordinal));

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception));
        }
    }

    /// <summary>The engine's outcome-store counters for one task name, read through a MeterListener.</summary>
    private sealed class OutcomeStoreCounters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _totals = new(StringComparer.Ordinal);

        public OutcomeStoreCounters(string taskName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TaskEngineDiagnostics.Name && instrument.Name.StartsWith("onboarding.tasks.outcome_store_", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "task.name" && Equals(tag.Value, taskName))
                    {
                        _totals.AddOrUpdate(instrument.Name, value, (_, total) => total + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Retries => _totals.GetValueOrDefault("onboarding.tasks.outcome_store_retries");

        public long GaveUp => _totals.GetValueOrDefault("onboarding.tasks.outcome_store_gave_up");

        public void Dispose() => _listener.Dispose();
    }
}
