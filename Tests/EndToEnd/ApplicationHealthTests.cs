using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Onboarding.Tests.EndToEnd;

/// <summary>The whole application started through the real AppHost, as `dotnet run --project AppHost` starts it.</summary>
[Collection(AppCollection.Name)]
public sealed class ApplicationHealthTests(AppFixture fixture)
{
    [Theory]
    [InlineData("userservice")]
    [InlineData("orderservice")]
    [InlineData("notificationservice")]
    [InlineData("user-worker")]
    [InlineData("order-worker")]
    [InlineData("notification-worker")]
    public async Task Health_IsHealthy_ForEveryServiceAndWorker(string resource)
    {
        using var http = fixture.App.CreateHttpClient(resource);

        using var response = await http.GetAsync("/health", TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode, $"{resource} /health answered {(int)response.StatusCode}");
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Resources_AreAllRunningAndHealthy()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();

        foreach (var resource in TestAppHost.ApplicationResources(model.Resources))
        {
            var state = await fixture.App.ResourceNotifications
                .WaitForResourceHealthyAsync(resource.Name, TestContext.Current.CancellationToken)
                .WaitAsync(TestTimeouts.Operation, TestContext.Current.CancellationToken);
            Assert.Equal(KnownResourceStates.Running, state.Snapshot.State?.Text);
        }
    }

    [Fact]
    public async Task RabbitMQ_RoundTripsAMessage_ThroughTheConnectionStringTheAppHandsOut()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var connectionString = await fixture.App.GetConnectionStringAsync("rabbitmq", cancellationToken);
        var factory = new ConnectionFactory { Uri = new Uri(connectionString!) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        var queue = $"test.round-trip.{Guid.NewGuid():N}";
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);

        await channel.BasicPublishAsync(string.Empty, queue, mandatory: true, new BasicProperties(), "hello"u8.ToArray(), cancellationToken);
        var message = await channel.BasicGetAsync(queue, autoAck: true, cancellationToken);

        Assert.NotNull(message);
        Assert.Equal("hello"u8.ToArray(), message.Body.ToArray());
    }

    [Fact]
    public async Task Redis_AnswersPing_ThroughTheConnectionStringTheAppHandsOut()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("redis", TestContext.Current.CancellationToken);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString!);

        var latency = await redis.GetDatabase().PingAsync();

        Assert.True(latency >= TimeSpan.Zero);
        Assert.Equal("PONG", (string?)await redis.GetDatabase().ExecuteAsync("PING"));
    }

    [Fact]
    public async Task QueueCommands_ListAndPurgeAQueue()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var connectionString = await fixture.App.GetConnectionStringAsync("rabbitmq", cancellationToken);
        var factory = new ConnectionFactory { Uri = new Uri(connectionString!) };
        await using var connection = await factory.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var queue = $"test.purge.{Guid.NewGuid():N}";
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        try
        {
            await channel.BasicPublishAsync(string.Empty, queue, "one"u8.ToArray(), cancellationToken);
            await channel.BasicPublishAsync(string.Empty, queue, "two"u8.ToArray(), cancellationToken);
            await Eventually.UntilAsync(async () => await channel.MessageCountAsync(queue, cancellationToken) == 2, TestTimeouts.Operation, cancellationToken);

            var listed = await fixture.App.ResourceCommands.ExecuteCommandAsync("rabbitmq", "list-queues", cancellationToken);
            Assert.True(listed.Success, listed.Message);
            Assert.Contains($"{queue}\t2\t0\t0", listed.Data?.Value ?? string.Empty, StringComparison.Ordinal);

            var purged = await fixture.App.ResourceCommands.ExecuteCommandAsync(
                "rabbitmq",
                "purge-queue",
                new InteractionInputCollection([new InteractionInput { Name = "queue", InputType = InputType.Text, Value = queue }]),
                cancellationToken);
            Assert.True(purged.Success, purged.Message);
            Assert.Equal(0u, await channel.MessageCountAsync(queue, cancellationToken));
        }
        finally
        {
            await channel.QueueDeleteAsync(queue, cancellationToken: cancellationToken);
        }
    }
}
