using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using RabbitMQ.Client;

namespace Onboarding.Faults;

/// <summary>
/// A .NET sender as a service runs one: the engine's <see cref="ITaskClient"/> (publisher confirms, the engine's own
/// retries) in a host of its own, with its own connection to every node of the servers, sending to a scenario's queue
/// with the scenario's queue type and dead-letter queue (part of a quorum queue's declaration). It counts, from the
/// engine's log, the publishes the engine retried: each retry carries the possible-duplicate mark.
/// </summary>
internal sealed class ConfirmingPublisher : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly PublishRetryLog _retries;

    private ConfirmingPublisher(IHost host, PublishRetryLog retries, int firstPort)
    {
        _host = host;
        _retries = retries;
        FirstPort = firstPort;
    }

    public ITaskClient Client => _host.Services.GetRequiredService<ITaskClient>();

    /// <summary>The AMQP port of the node its connection went to first (the client picks one of the nodes at random).</summary>
    public int FirstPort { get; }

    /// <summary>Publishes the engine retried after their channel or connection closed (each marked possible duplicate).</summary>
    public int RetriedPublishes => _retries.Retried;

    /// <summary>What the retried publishes failed with first, by exception type.</summary>
    public IReadOnlyDictionary<string, int> RetryCauses => _retries.Causes;

    public static async Task<ConfirmingPublisher> StartAsync(ScenarioContext context, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = context.Servers.RabbitMqConnectionString,
            ["ConnectionStrings:redis"] = context.Servers.RedisConnectionString,
        });
        var retries = new PublishRetryLog();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(retries);
        builder.AddTaskEngine(configure: o =>
        {
            o.DefaultQueue = context.Queue;
            o.QueueType = context.Setup.QueueType;
            o.DeadLetterQueue = context.Setup.DeadLetterQueue;
            o.Routes = [new TaskRoute { Pattern = "*", Queue = context.Queue }];
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            var port = host.Services.GetRequiredService<IConnection>().Endpoint.Port;
            return new ConfirmingPublisher(host, retries, port);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    /// <summary>Counts the engine's "publish failed, retrying" warnings for the first attempt of each publish.</summary>
    private sealed class PublishRetryLog : ILoggerProvider, ILogger
    {
        private readonly ConcurrentDictionary<string, int> _causes = new(StringComparer.Ordinal);
        private int _retried;

        public int Retried => Volatile.Read(ref _retried);

        public IReadOnlyDictionary<string, int> Causes => new Dictionary<string, int>(_causes, StringComparer.Ordinal);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "PublishRetry"
                && state is IReadOnlyList<KeyValuePair<string, object?>> fields
                && fields.Any(f => f.Key == "Attempt" && f.Value is 1))
            {
                Interlocked.Increment(ref _retried);
                _causes.AddOrUpdate(exception?.GetType().Name ?? "unknown", 1, (_, n) => n + 1);
            }
        }

        public void Dispose()
        {
        }
    }
}
