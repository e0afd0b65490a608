using Aspire.Hosting;
using Microsoft.Extensions.Configuration;
using Onboarding.OperationsConsole.Queues;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The Queues page's richer source, RabbitMQ's management API, against a real broker started with the plugin (the
/// AppHost's default outside tests): every queue with ready, unacknowledged, consumers and rates.
/// </summary>
[Collection(ManagementBrokerCollection.Name)]
public sealed class RabbitMqManagementClientTests(ManagementBrokerFixture fixture)
{
    private static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task GetQueuesAsync_ReportsReadyUnackedConsumersAndRates_WhenThePluginRuns()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = "management-test." + Guid.CreateVersion7().ToString("N")[^12..];
        var amqp = (await fixture.App.GetConnectionStringAsync("rabbitmq", ct))!;
        await using var connection = await new ConnectionFactory { Uri = new Uri(amqp) }.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false, cancellationToken: ct);
        for (var i = 0; i < 3; i++)
        {
            await channel.BasicPublishAsync(string.Empty, queue, new byte[] { 1 }, ct);
        }

        // One message taken and not acknowledged: two ready, one unacked.
        var taken = await channel.BasicGetAsync(queue, autoAck: false, ct);
        Assert.NotNull(taken);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Console:RabbitMQManagement"] = fixture.App.GetEndpoint("rabbitmq", "management").ToString(),
            ["ConnectionStrings:rabbitmq"] = amqp,
        }).Build();
        using var http = new HttpClient();
        var client = new RabbitMqManagementClient(http, configuration);

        // The plugin refreshes its figures every few seconds.
        QueueRow? row = null;
        await Eventually.UntilAsync(async () =>
        {
            row = (await client.GetQueuesAsync(_ => "work", ct)).FirstOrDefault(q => q.Name == queue);
            return row is { Ready: 2, Unacked: 1 };
        }, StatsTimeout, ct, TimeSpan.FromMilliseconds(500));

        Assert.True(client.IsConfigured);
        Assert.Equal(0, row!.Consumers);
        Assert.NotNull(row.PublishRate);
        Assert.NotNull(row.DeliverRate);
        Assert.Equal(3, row.Depth);
    }
}

/// <summary>RabbitMQ and Redis from the AppHost, with the management plugin on.</summary>
public sealed class ManagementBrokerFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The broker has not started.");

    public async ValueTask InitializeAsync() =>
        _app = await TestAppHost.StartAsync(TestAppHost.Arguments(infrastructureOnly: true, "--Infrastructure:RabbitMQManagement=true"), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await TestAppHost.StopAsync(_app);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ManagementBrokerCollection : ICollectionFixture<ManagementBrokerFixture>
{
    public const string Name = "RabbitMQ with its management plugin";
}
