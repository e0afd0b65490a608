using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>
/// A host running the engine (and optionally a worker) on a queue of its own, so tests do not see each other's
/// messages. Disposal stops the host and deletes the queues it used.
/// </summary>
internal sealed class EngineTestHost : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private EngineTestHost(IHost host, string queue)
    {
        _host = host;
        Queue = queue;
    }

    public string Queue { get; }

    public string DeadLetterQueue => Queue + ".dead";

    public IServiceProvider Services => _host.Services;

    public ITaskClient Client => Services.GetRequiredService<ITaskClient>();

    public IConnection Connection => Services.GetRequiredService<IConnection>();

    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    /// <summary>
    /// The queue type the engine tests run on: classic, or quorum with <c>ONBOARDING_TEST_QUEUE_TYPE=quorum</c>, so the
    /// whole engine suite can be run on quorum queues (<see cref="QueueTypeTests"/> covers both in every run).
    /// </summary>
    public static QueueType QueueTypeUnderTest { get; } =
        Enum.TryParse<QueueType>(Environment.GetEnvironmentVariable("ONBOARDING_TEST_QUEUE_TYPE"), ignoreCase: true, out var type) ? type : QueueType.Classic;

    public static async Task<EngineTestHost> StartAsync(
        BrokerFixture fixture,
        Action<ITaskEngineBuilder>? tasks = null,
        bool worker = true,
        int concurrency = 2,
        string? queue = null,
        Action<IServiceCollection>? services = null,
        TimeSpan? gracePeriod = null,
        string? redisConnectionString = null,
        bool waitForWorker = true,
        Action<TaskEngineOptions>? engineOptions = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        queue ??= "test." + Guid.CreateVersion7().ToString("N")[^12..];
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = fixture.RabbitMqConnectionString,
            ["ConnectionStrings:redis"] = redisConnectionString ?? fixture.RedisConnectionString,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var engine = builder.AddTaskEngine(configure: o =>
        {
            o.DefaultQueue = queue;
            o.DeadLetterQueue = queue + ".dead";
            o.Routes = [new TaskRoute { Pattern = "*", Queue = queue }];
            o.ResultPollInterval = TimeSpan.FromMilliseconds(200);
            o.QueueType = QueueTypeUnderTest;
            engineOptions?.Invoke(o);
        });
        if (worker)
        {
            engine.AddTaskWorker(o =>
            {
                o.Queues = queue;
                o.Concurrency = concurrency;
                // One Celery node per test host: remote control addresses them apart.
                o.Hostname = queue + "@%h";
                o.ShutdownGracePeriod = gracePeriod ?? TimeSpan.FromSeconds(5);
            });
        }

        tasks?.Invoke(engine);
        services?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (worker && waitForWorker)
            {
                await host.Services.GetRequiredService<TaskWorkerService>().Started.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            }
        }
        catch
        {
            // A host that failed to start (a test of a refused start) still holds its connections.
            host.Dispose();
            throw;
        }

        return new EngineTestHost(host, queue);
    }

    /// <summary>The ready-message count of a queue (passive declare).</summary>
    public async Task<uint> MessageCountAsync(string queue)
    {
        await using var channel = await Connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var ok = await channel.QueueDeclarePassiveAsync(queue, TestContext.Current.CancellationToken);
        return ok.MessageCount;
    }

    /// <summary>Publishes raw bytes to the test queue, as a foreign (Python) client would.</summary>
    public async Task PublishRawAsync(byte[] body, IDictionary<string, object?>? headers, string? contentType = "application/json")
    {
        await using var channel = await Connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            TestContext.Current.CancellationToken);
        var properties = new BasicProperties
        {
            ContentType = contentType,
            ContentEncoding = "utf-8",
            DeliveryMode = DeliveryModes.Persistent,
            Headers = headers,
        };
        await channel.BasicPublishAsync(string.Empty, Queue, mandatory: true, properties, body, TestContext.Current.CancellationToken);
    }

    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
            await using var channel = await Connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false);
            await channel.QueueDeleteAsync(DeadLetterQueue, ifUnused: false, ifEmpty: false);
            for (var exponent = 4; exponent <= 26; exponent++)
            {
                await channel.QueueDeleteAsync($"onboarding.delay.{Queue}.{1L << exponent}", ifUnused: false, ifEmpty: false);
            }
        }
        finally
        {
            _host.Dispose();
        }
    }
}
