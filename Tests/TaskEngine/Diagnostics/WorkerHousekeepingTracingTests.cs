using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.Monitoring;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;
using StackExchange.Redis;

namespace Onboarding.Tests.TaskEngine.Diagnostics;

/// <summary>
/// What an idle worker leaves on the dashboard's Traces page: nothing. Its heartbeats (every 2 s), its Celery events
/// and its revocation syncs (at start, then every 15 s) are housekeeping; a task it is sent is traced.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerHousekeepingTracingTests(BrokerFixture fixture)
{
    // This host's Redis commands go to a database of their own, so other tests' hosts' commands are told apart by the
    // database index the instrumentation tags them with.
    private const int Database = 12;
    private const string RoutingKeyTag = "messaging.rabbitmq.destination.routing_key";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_RecordsNoActivityForHeartbeatsEventsOrRevocationSyncs_WhileIdle()
    {
        var recorded = new ConcurrentQueue<(string Source, string Name, string? RoutingKey)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("RabbitMQ.Client", StringComparison.Ordinal)
                || source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal)
                || source.Name == TaskEngineDiagnostics.Name,
            // No opinion: whether an activity is recorded stays the host's tracer's decision, as in production.
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                var isRedis = activity.Source.Name.Contains("StackExchangeRedis", StringComparison.Ordinal);
                if (activity.Recorded && (!isRedis || Equals(activity.GetTagItem("db.redis.database_index"), Database)))
                {
                    recorded.Enqueue((activity.Source.Name, activity.DisplayName, activity.GetTagItem(RoutingKeyTag) as string));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var host = await EngineTestHost.StartAsync(fixture, redisConnectionString: $"{fixture.RedisConnectionString},defaultDatabase={Database}",
            engineOptions: o => o.SendSentEvents = true, tasks: engine => engine.AddWorkerControl());
        try
        {
            // The revocations were loaded before the worker started; worker-online and heartbeats follow, read by a
            // monitor in the same process as the console reads them.
            var events = host.Services.GetRequiredService<EventDispatcher>();
            var heartbeats = 0;
            await foreach (var received in host.Services.GetRequiredService<ICeleryEventReader>().ReadAsync("worker.heartbeat", Token))
            {
                if (received.Hostname == events.Hostname && ++heartbeats == 2)
                {
                    break;
                }
            }

            // The control: a task sent is traced (its publish, and the broker client's publish under it), and a Redis
            // command outside any activity is recorded, so the instrumentation is on and would have seen the syncs.
            var ping = await host.Client.SendAsync(DiagnosticTasks.Ping, cancellationToken: Token);
            await ping.GetAsync(Wait, Token);
            await Eventually.UntilAsync(() => events.Published >= 4, Wait, Token);
            Assert.Null(Activity.Current);
            await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StringLengthAsync("worker-tracing-control");
        }
        finally
        {
            // Disposing flushes what the Redis instrumentation holds.
            await host.DisposeAsync();
        }

        Assert.Contains(recorded, a => a.Source == TaskEngineDiagnostics.Name && a.Name == $"{DiagnosticTasks.Ping} publish");
        Assert.Contains(recorded, a => a.Source.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) && a.RoutingKey == host.Queue);
        Assert.Contains(recorded, a => a.Name == "STRLEN");
        // Any host's events (every test's workers send them), published or delivered to the monitor: worker-online,
        // heartbeats, task events, task-sent.
        Assert.DoesNotContain(recorded, a => IsEvent(a.RoutingKey) || IsEvent(a.Name.Split(' ')[^1]));
        // This host's Redis: the revocation syncs (ZRANGEBYSCORE) are not recorded.
        Assert.DoesNotContain(recorded, a => a.Name == "ZRANGEBYSCORE");
    }

    private static bool IsEvent(string? routingKey) =>
        routingKey is not null && (routingKey.StartsWith("worker.", StringComparison.Ordinal) || routingKey.StartsWith("task.", StringComparison.Ordinal));
}
