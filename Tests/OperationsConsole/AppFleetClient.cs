using Aspire.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Control;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// A client of the whole application's broker and Redis, as a service is: it sends tasks (with task-sent events, so
/// the console indexes them from the first moment) and speaks Celery's remote control, to check what a console action
/// did to a worker from outside the console.
/// </summary>
internal sealed class AppFleetClient : IAsyncDisposable
{
    private readonly IHost _host;

    private AppFleetClient(IHost host, string rabbitMq, string redis) => (_host, RabbitMqConnectionString, RedisConnectionString) = (host, rabbitMq, redis);

    public string RabbitMqConnectionString { get; }

    public string RedisConnectionString { get; }

    public ITaskClient Tasks => _host.Services.GetRequiredService<ITaskClient>();

    public IWorkerControl Control => _host.Services.GetRequiredService<IWorkerControl>();

    public static async Task<AppFleetClient> StartAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var rabbitMq = await app.GetConnectionStringAsync("rabbitmq", cancellationToken) ?? throw new InvalidOperationException("No rabbitmq connection string.");
        var redis = await app.GetConnectionStringAsync("redis", cancellationToken) ?? throw new InvalidOperationException("No redis connection string.");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = rabbitMq,
            ["ConnectionStrings:redis"] = redis,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTaskEngine(configure: o => o.SendSentEvents = true).AddWorkerControl();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new AppFleetClient(host, rabbitMq, redis);
    }

    /// <summary>Waits until <paramref name="node"/> answers a ping (a started process consumes only after its start-up).</summary>
    public Task WaitForNodeAsync(string node, CancellationToken cancellationToken) =>
        Infrastructure.Eventually.UntilAsync(
            async () => (await Control.PingAsync(Only(node), cancellationToken)).Any(r => r.Node == node),
            TimeSpan.FromSeconds(90), cancellationToken, TimeSpan.FromMilliseconds(500));

    /// <summary>Remote control aimed at one node.</summary>
    public static ControlOptions Only(string node) => new() { Destination = [node], Timeout = TimeSpan.FromSeconds(2) };

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
    }
}
