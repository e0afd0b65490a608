using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Onboarding.AppHost.Infrastructure;

namespace Onboarding.Benchmarks;

/// <summary>
/// RabbitMQ and Redis for a run: the servers named by <c>ONBOARDING_BENCH_RABBITMQ</c> and
/// <c>ONBOARDING_BENCH_REDIS</c>, or else the AppHost with <c>Infrastructure:Only=true</c> (as the tests start them).
/// </summary>
public sealed class BenchmarkInfrastructure : IAsyncDisposable
{
    private readonly DistributedApplication? _app;

    private BenchmarkInfrastructure(string rabbitMq, string redis, DistributedApplication? app, string source)
    {
        RabbitMqConnectionString = rabbitMq;
        RedisConnectionString = redis;
        _app = app;
        Source = source;
    }

    public string RabbitMqConnectionString { get; }

    public string RedisConnectionString { get; }

    /// <summary>Where the servers came from, for the report.</summary>
    public string Source { get; }

    /// <summary>True when this process orchestrates the servers (the in-process AppHost).</summary>
    public bool HostsAppHost => _app is not null;

    /// <summary>The in-process AppHost, whose resource commands stop and start the servers; null for given servers.</summary>
    public DistributedApplication? App => _app;

    public static BenchmarkInfrastructure External(string rabbitMq, string redis, string source = "given connection strings") =>
        new(rabbitMq, redis, null, source);

    /// <summary>
    /// Where the engine hosts of a cluster row note the node leading their queue and the node they connected to; set by
    /// the harness around that row, null otherwise.
    /// </summary>
    internal QueuePlacement? Placement { get; set; }

    public static async Task<BenchmarkInfrastructure> StartAsync(TextWriter log, CancellationToken cancellationToken)
    {
        var rabbitMq = Environment.GetEnvironmentVariable("ONBOARDING_BENCH_RABBITMQ");
        var redis = Environment.GetEnvironmentVariable("ONBOARDING_BENCH_REDIS");
        if (!string.IsNullOrEmpty(rabbitMq) && !string.IsNullOrEmpty(redis))
        {
            return new BenchmarkInfrastructure(rabbitMq, redis, null,
                Environment.GetEnvironmentVariable(MeasuringProcess.SourceVariable) ?? "ONBOARDING_BENCH_RABBITMQ / ONBOARDING_BENCH_REDIS");
        }

        return await StartAppHostAsync(log, [], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A three-node RabbitMQ cluster (<c>Infrastructure:RabbitMQNodes=3</c>) and a Redis of its own through the AppHost,
    /// healthy once the nodes have clustered; its connection string names every node.
    /// </summary>
    public static Task<BenchmarkInfrastructure> StartClusterAsync(TextWriter log, CancellationToken cancellationToken) =>
        StartAppHostAsync(log, ["--Infrastructure:RabbitMQNodes=3"], cancellationToken);

    /// <summary>
    /// The node leading the quorum queue <paramref name="queue"/>, as "name (:port)", asked of the nodes with
    /// <c>rabbitmqctl</c>; null when this process does not run the nodes as local executables (given servers, containers).
    /// </summary>
    internal async Task<string?> QueueLeaderAsync(string queue, CancellationToken cancellationToken)
    {
        var nodes = _app?.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<RabbitMQExecutableResource>()
            .OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
        if (nodes is not { Count: > 0 })
        {
            return null;
        }

        var rabbitMQCtl = Path.Combine(Path.GetDirectoryName(nodes[0].Command)!, "rabbitmqctl");
        var leader = await RabbitMQClusterStatus.QueueLeaderAsync(rabbitMQCtl, nodes, queue, cancellationToken).ConfigureAwait(false);
        return leader.PrimaryEndpoint.IsAllocated
            ? FormattableString.Invariant($"{leader.Name} (:{leader.PrimaryEndpoint.Port})")
            : leader.Name;
    }

    /// <summary>
    /// Starts fresh servers through the AppHost (<c>Infrastructure:Only=true</c>), with extra AppHost arguments (the
    /// fault suite asks for the machine's servers and Redis's append-only file).
    /// </summary>
    public static async Task<BenchmarkInfrastructure> StartAppHostAsync(
        TextWriter log, IEnumerable<string> extraArguments, CancellationToken cancellationToken)
    {
        await log.WriteLineAsync("Starting RabbitMQ and Redis through the AppHost (Infrastructure:Only=true) ...").ConfigureAwait(false);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [
                "--Infrastructure:Only=true",
                "--Infrastructure:PersistentData=false",
                // The management plugin adds about 5 s to the broker's shutdown and nothing to a benchmark.
                "--Infrastructure:RabbitMQManagement=false",
                .. extraArguments,
            ],
            (options, _) => options.DisableDashboard = true,
            cancellationToken).ConfigureAwait(false);
        builder.Services.AddLogging(logging => logging
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.", LogLevel.Warning)
            .AddFilter("AppHost.Resources", LogLevel.Warning)
            // Health checks fail, loudly, until the servers accept connections; the wait below covers that.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));

        var app = await builder.BuildAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await app.StartAsync(cancellationToken).WaitAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
            var names = builder.Resources.OfType<IResourceWithConnectionString>().Select(r => r.Name).ToArray();
            await Task.WhenAll(names.Select(name => app.ResourceNotifications.WaitForResourceHealthyAsync(name, cancellationToken)))
                .WaitAsync(TimeSpan.FromMinutes(3), cancellationToken).ConfigureAwait(false);
            var rabbitMq = await app.GetConnectionStringAsync("rabbitmq", cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The AppHost gave no rabbitmq connection string.");
            var redis = await app.GetConnectionStringAsync("redis", cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException("The AppHost gave no redis connection string.");
            return new BenchmarkInfrastructure(rabbitMq, redis, app, "AppHost (Infrastructure:Only=true)");
        }
        catch
        {
            await StopAsync(app).ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await StopAsync(_app).ConfigureAwait(false);
        }
    }

    private static async Task StopAsync(DistributedApplication app)
    {
        try
        {
            await app.StopAsync().WaitAsync(TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
