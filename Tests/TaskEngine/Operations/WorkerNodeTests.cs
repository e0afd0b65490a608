using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Execution;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.TaskEngine.Operations;

/// <summary>
/// A worker's presence on the event stream, on a clock the test moves: worker-online at start, a worker-heartbeat on
/// every 2 s tick with Celery's fields, worker-offline at stop; each on its own routing key.
/// </summary>
public sealed class WorkerNodeTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Node_SendsOnlineAHeartbeatEveryTwoSecondsAndOffline_WithCelerysFields()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var transport = new RecordingTransport();
        var dispatcher = new EventDispatcher(transport, TimeProvider.System, NullLogger<EventDispatcher>.Instance);
        var node = new WorkerNode(dispatcher, new WorkerState(clock), Options.Create(new TaskWorkerOptions { Hostname = "w1@%h" }), clock);
        await dispatcher.StartAsync(Token);

        await node.StartAsync(Token);
        await Eventually.UntilAsync(() => transport.Count("worker.online") == 1, TestTimeouts.Operation, Token);
        clock.Advance(TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(() => transport.Count("worker.heartbeat") == 1, TestTimeouts.Operation, Token);
        clock.Advance(TimeSpan.FromSeconds(2));
        await Eventually.UntilAsync(() => transport.Count("worker.heartbeat") == 2, TestTimeouts.Operation, Token);
        await node.StopAsync(Token);
        await Eventually.UntilAsync(() => transport.Count("worker.offline") == 1, TestTimeouts.Operation, Token);

        var heartbeat = transport.Events.First(e => e.RoutingKey == "worker.heartbeat").Body;
        Assert.Equal("worker-heartbeat", heartbeat.GetProperty("type").GetString());
        Assert.Equal(node.Name, heartbeat.GetProperty("hostname").GetString());
        Assert.StartsWith("w1@", node.Name, StringComparison.Ordinal);
        Assert.Equal(2.0, heartbeat.GetProperty("freq").GetDouble());
        Assert.Equal(0, heartbeat.GetProperty("active").GetInt32());
        Assert.Equal(0, heartbeat.GetProperty("processed").GetInt64());
        Assert.Equal(3, heartbeat.GetProperty("loadavg").GetArrayLength());
        Assert.Equal(WorkerNode.SoftwareIdent, heartbeat.GetProperty("sw_ident").GetString());
        Assert.False(string.IsNullOrEmpty(heartbeat.GetProperty("sw_ver").GetString()));
        Assert.Equal("Linux", heartbeat.GetProperty("sw_sys").GetString());
        Assert.Equal(Environment.ProcessId, heartbeat.GetProperty("pid").GetInt32());
        Assert.True(heartbeat.GetProperty("clock").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, heartbeat.GetProperty("timestamp").ValueKind);
        Assert.Equal(JsonValueKind.Number, heartbeat.GetProperty("utcoffset").ValueKind);
        Assert.Equal(["worker.online", "worker.heartbeat", "worker.heartbeat", "worker.offline"], transport.Events.Select(e => e.RoutingKey));
        await dispatcher.StopAsync(Token);
        await node.DisposeAsync();
        await dispatcher.DisposeAsync();
    }

    private sealed class RecordingTransport : ICeleryEventTransport
    {
        private readonly ConcurrentQueue<(string RoutingKey, JsonElement Body)> _events = new();

        public IReadOnlyList<(string RoutingKey, JsonElement Body)> Events => [.. _events];

        public int Count(string routingKey) => _events.Count(e => e.RoutingKey == routingKey);

        public Task PublishAsync(string hostname, string routingKey, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
        {
            _events.Enqueue((routingKey, JsonDocument.Parse(body).RootElement.Clone()));
            return Task.CompletedTask;
        }

        public Task<IEventReceiver> ReceiveAsync(string routingKey, ChannelWriter<ReadOnlyMemory<byte>> sink, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public bool IsUnavailable(Exception exception) => false;
    }
}
