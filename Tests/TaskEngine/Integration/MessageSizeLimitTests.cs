using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>TaskEngine:MaxMessageBytes on the real broker: a larger message is dead-lettered unread, the worker goes on.</summary>
[Collection(BrokerCollection.Name)]
public sealed class MessageSizeLimitTests(BrokerFixture fixture)
{
    private const int Limit = 64 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_DeadLettersAsTooLargeAndStoresFailure_WhenAMessageExceedsMaxMessageBytes()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, engineOptions: o => o.MaxMessageBytes = Limit);
        var id = Guid.CreateVersion7().ToString();
        var body = Encoding.UTF8.GetBytes($"[[\"{new string('x', 3 * Limit)}\"], {{}}, {{}}]");

        // From a connection of the test's own: the worker's connection closes when the client library refuses the body.
        await using (var sender = await new ConnectionFactory { Uri = new Uri(fixture.RabbitMqConnectionString) }.CreateConnectionAsync(Token))
        await using (var channel = await sender.CreateChannelAsync(new CreateChannelOptions(true, true), Token))
        {
            var properties = new BasicProperties
            {
                ContentType = "application/json",
                ContentEncoding = "utf-8",
                DeliveryMode = DeliveryModes.Persistent,
                Headers = new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Echo, ["id"] = id },
            };
            await channel.BasicPublishAsync(string.Empty, host.Queue, mandatory: true, properties, body, Token);
        }

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        Assert.Contains("more than TaskEngine:MaxMessageBytes (65536)", ex.ExcMessage, StringComparison.Ordinal);
        // Read with a client that accepts the body (the worker's would close its connection again).
        await using var reader = await new ConnectionFactory { Uri = new Uri(fixture.RabbitMqConnectionString) }.CreateConnectionAsync(Token);
        await using var deadLetters = await reader.CreateChannelAsync(cancellationToken: Token);
        BasicGetResult? dead = null;
        await Eventually.UntilAsync(async () => (dead = await deadLetters.BasicGetAsync(host.DeadLetterQueue, autoAck: true, Token)) is not null, Wait, Token);
        Assert.Equal("too-large", Encoding.UTF8.GetString((byte[])dead!.BasicProperties.Headers!["x-death-reason"]!));
        Assert.Equal(host.Queue, Encoding.UTF8.GetString((byte[])dead.BasicProperties.Headers!["x-original-queue"]!));
        Assert.Equal(body, dead.Body.ToArray());

        // The worker is still up and consuming.
        var after = await host.Client.SendAsync(DiagnosticTasks.Add, [JsonSerializer.SerializeToElement(2), JsonSerializer.SerializeToElement(3)], cancellationToken: Token);
        Assert.Equal(5, (await after.GetAsync(Wait, Token)).GetInt32());
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task Worker_DeadLettersAsTooLarge_WhenItsConnectionAcceptsTheBodyButTheLimitIsLower()
    {
        // A host that registered its own RabbitMQ connection keeps the client's default limit: the executor checks too.
        await using var host = await EngineTestHost.StartAsync(fixture, engineOptions: o => o.MaxMessageBytes = Limit, services: services =>
            services.AddSingleton<IConnection>(_ => new ConnectionFactory { Uri = new Uri(fixture.RabbitMqConnectionString), AutomaticRecoveryEnabled = true }
                .CreateConnectionAsync().GetAwaiter().GetResult()));
        var id = Guid.CreateVersion7().ToString();
        var body = Encoding.UTF8.GetBytes($"[[\"{new string('x', 2 * Limit)}\"], {{}}, {{}}]");

        await host.PublishRawAsync(body, new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Echo, ["id"] = id });

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        await Eventually.UntilAsync(async () => await host.MessageCountAsync(host.DeadLetterQueue) == 1, Wait, Token);
    }
}
