using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// Real RabbitMQ and Redis for engine tests, provided by the AppHost itself (<c>Infrastructure:Only</c>), so they run
/// the same way as the application: containers where a runtime answers, the machine's servers elsewhere.
/// <c>ONBOARDING_TEST_RABBITMQ</c> and <c>ONBOARDING_TEST_REDIS</c> point the tests at servers already running instead.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    /// <summary>An AMQP URI, <c>amqp://user:password@host:port</c>.</summary>
    public string RabbitMqConnectionString { get; private set; } = string.Empty;

    /// <summary>A StackExchange.Redis configuration string, <c>host:port,password=…</c>.</summary>
    public string RedisConnectionString { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var rabbitMq = Environment.GetEnvironmentVariable("ONBOARDING_TEST_RABBITMQ");
        var redis = Environment.GetEnvironmentVariable("ONBOARDING_TEST_REDIS");
        if (!string.IsNullOrEmpty(rabbitMq) && !string.IsNullOrEmpty(redis))
        {
            (RabbitMqConnectionString, RedisConnectionString) = (rabbitMq, redis);
            return;
        }

        _app = await TestAppHost.StartAsync(TestAppHost.Arguments(infrastructureOnly: true), CancellationToken.None);
        RabbitMqConnectionString = await _app.GetConnectionStringAsync("rabbitmq") ?? throw new InvalidOperationException("No rabbitmq connection string.");
        RedisConnectionString = await _app.GetConnectionStringAsync("redis") ?? throw new InvalidOperationException("No redis connection string.");
    }

    /// <summary>
    /// Restarts RabbitMQ the way the dashboard's Restart does (same node, same data) and waits until it is healthy
    /// again. Needs the AppHost-provided broker.
    /// </summary>
    public async Task RestartRabbitMqAsync(CancellationToken cancellationToken)
    {
        var app = _app ?? throw new InvalidOperationException(
            "Restarting the broker needs the AppHost-provided servers: unset ONBOARDING_TEST_RABBITMQ and ONBOARDING_TEST_REDIS.");
        var result = await app.ResourceCommands.ExecuteCommandAsync("rabbitmq", KnownResourceCommands.RestartCommand, cancellationToken);
        if (!result.Success)
        {
            throw new InvalidOperationException($"Restart failed: {result.Message}");
        }

        await app.ResourceNotifications.WaitForResourceHealthyAsync("rabbitmq", cancellationToken)
            .WaitAsync(TestTimeouts.StartAndHealthy, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await TestAppHost.StopAsync(_app);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "RabbitMQ and Redis";
}
