using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Workflows;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Onboarding.Benchmarks;

/// <summary>
/// The engine hosted in this process on a queue of its own, with or without a worker (as the engine tests host it).
/// Disposal stops the host and deletes the queue.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly IHost _host;

    private EngineHost(IHost host, string queue)
    {
        _host = host;
        Queue = queue;
    }

    public string Queue { get; }

    public IServiceProvider Services => _host.Services;

    public ITaskClient Client => Services.GetRequiredService<ITaskClient>();

    public IWorkflowClient Workflows => Services.GetRequiredService<IWorkflowClient>();

    public IConnection Connection => Services.GetRequiredService<IConnection>();

    public IDatabase Redis => Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();

    public static string NewQueueName(string workload) => $"bench.{workload.ToLowerInvariant()}.{Guid.CreateVersion7().ToString("N")[^8..]}";

    public static async Task<EngineHost> StartAsync(
        BenchmarkInfrastructure infrastructure, string queue, bool worker, int concurrency, CancellationToken cancellationToken, bool events = false,
        QueueType queueType = QueueType.Classic, string? deadLetterQueue = null, bool sentEvents = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = infrastructure.RabbitMqConnectionString,
            ["ConnectionStrings:redis"] = infrastructure.RedisConnectionString,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var engine = builder.AddTaskEngine(configure: o =>
        {
            o.DefaultQueue = queue;
            o.QueueType = queueType;
            // Part of a quorum queue's declaration (its dead-letter routing key), so every declarer must name the same;
            // one per type, as a queue's type is fixed once it exists.
            o.DeadLetterQueue = deadLetterQueue ?? (queueType == QueueType.Quorum ? "bench.dead.quorum" : "bench.dead");
            o.Routes = [new TaskRoute { Pattern = "*", Queue = queue }];
            o.SendSentEvents = sentEvents;
        });
        if (worker)
        {
            engine.AddTaskWorker(o =>
            {
                o.Queues = queue;
                o.Concurrency = concurrency;
                o.ShutdownGracePeriod = TimeSpan.FromSeconds(5);
                o.Events = events;
            });
        }
        else
        {
            // The executor profile runs the diagnostics tasks without a consumer.
            engine.AddDiagnosticTasks();
        }

        var host = builder.Build();
        await host.StartAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        if (worker)
        {
            await host.Services.GetRequiredService<TaskWorkerService>().Started
                .WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }

        if (infrastructure.Placement is { } placement)
        {
            await placement.RecordAsync(queue, host.Services.GetRequiredService<IConnection>(), cancellationToken).ConfigureAwait(false);
        }

        return new EngineHost(host, queue);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            await using var channel = await Connection.CreateChannelAsync().ConfigureAwait(false);
            await channel.QueueDeleteAsync(Queue, ifUnused: false, ifEmpty: false).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }
}
