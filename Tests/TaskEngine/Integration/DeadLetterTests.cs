using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.TaskEngine.Integration;

[Collection(BrokerCollection.Name)]
public sealed class DeadLetterTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_DeadLettersAndStoresNotRegistered_WhenTaskIsUnknown()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        var result = await host.Client.SendAsync("tasks.nonexistent", cancellationToken: Token);

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
        Assert.Equal("NotRegistered", ex.ExcType);
        Assert.Equal("celery.exceptions", ex.ExcModule);
        Assert.Equal("tasks.nonexistent", ex.ExcMessage);
        var dead = await TaskWorkerTests.ReadDeadLetterAsync(host);
        Assert.Equal("not-registered", dead.Reason);
        Assert.Equal(host.Queue, dead.OriginalQueue);
    }

    [Fact]
    public async Task Worker_DeadLettersAndKeepsConsuming_WhenBodyIsMalformed()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        await host.PublishRawAsync("{not json"u8.ToArray(), new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Ping, ["id"] = id });
        var after = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        Assert.Equal("pong", (await after.GetAsync(Wait, Token)).GetString());
        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        Assert.Equal("body", (await TaskWorkerTests.ReadDeadLetterAsync(host)).Reason);
    }

    [Fact]
    public async Task Worker_DeadLetters_WhenContentTypeIsNotExactlyJson()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        await host.PublishRawAsync(
            """[[], {}, {}]"""u8.ToArray(),
            new Dictionary<string, object?> { ["task"] = DiagnosticTasks.Ping, ["id"] = id },
            contentType: "application/json; charset=utf-8");

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        Assert.Equal("content-type", (await TaskWorkerTests.ReadDeadLetterAsync(host)).Reason);
    }

    [Fact]
    public async Task Worker_DeadLettersWithoutResult_WhenHeadersLackTaskId()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);

        await host.PublishRawAsync("""[[], {}, {}]"""u8.ToArray(), headers: null);
        var after = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);

        Assert.Equal("pong", (await after.GetAsync(Wait, Token)).GetString());
        Assert.Equal("headers", (await TaskWorkerTests.ReadDeadLetterAsync(host)).Reason);
    }

    [Fact]
    public async Task Worker_DeadLettersAndRecovers_WhenHeaderHasAmqpLongLongL()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var id = Guid.CreateVersion7().ToString();

        // py-amqp writes ints outside ±2^31 as 'L', which RabbitMQ.Client 7.2.2 cannot parse.
        await using (var raw = await RawAmqpConnection.OpenAsync(new Uri(fixture.RabbitMqConnectionString), Token))
        {
            await raw.PublishAsync(host.Queue, new RawAmqpProperties
            {
                ContentType = "application/json",
                ContentEncoding = "utf-8",
                CorrelationId = id,
                Headers = new Dictionary<string, object?>
                {
                    ["lang"] = "py", ["task"] = DiagnosticTasks.Ping, ["id"] = id, ["retries"] = 0,
                    ["sent_at_ms"] = new AmqpLongLongL(1_795_567_551_151L),
                },
            }, """[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]"""u8.ToArray(), Token);
        }

        if (EngineTestHost.QueueTypeUnderTest == QueueType.Quorum)
        {
            // A quorum queue writes the headers anew when it adds x-delivery-count, with the 'l' tag the client reads:
            // the message needs no rescue and runs.
            Assert.Equal("pong", (await host.Client.GetResult(id).GetAsync(Wait, Token)).GetString());
            return;
        }

        var ex = await Assert.ThrowsAsync<TaskFailedException>(() => host.Client.GetResult(id).GetAsync(Wait, Token));
        Assert.Equal("InvalidTaskError", ex.ExcType);
        var after = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
        Assert.Equal("pong", (await after.GetAsync(Wait, Token)).GetString());
        Assert.Equal(UnreadableMessageRescue.Reason, (await TaskWorkerTests.ReadDeadLetterAsync(host)).Reason);
    }

    [Fact]
    public async Task ReplayAsync_MovesMessagesBackToOriginalQueue_WhenDeadLettered()
    {
        string queue;
        string id;
        await using (var worker = await EngineTestHost.StartAsync(fixture))
        {
            queue = worker.Queue;
            var result = await worker.Client.SendAsync("tasks.later_registered", [JsonDocument.Parse("1").RootElement], cancellationToken: Token);
            id = result.Id;
            await Assert.ThrowsAsync<TaskFailedException>(() => result.GetAsync(Wait, Token));
            await worker.StopAsync();
            Assert.Equal(1u, await worker.MessageCountAsync(worker.DeadLetterQueue));

            await using var client = await EngineTestHost.StartAsync(fixture, worker: false, queue: queue);
            var dlq = client.Services.GetService(typeof(IDeadLetterQueue)) as IDeadLetterQueue;

            Assert.Equal(1u, await dlq!.CountAsync(Token));
            Assert.Equal(1, await dlq.ReplayAsync(cancellationToken: Token));
            Assert.Equal(0u, await dlq.CountAsync(Token));
            Assert.Equal(1u, await client.MessageCountAsync(queue));
        }

        Assert.NotEmpty(id);
    }
}
