using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Interop;

/// <summary>
/// Real Celery 5.2 (Debian's python3-celery) with our engine on quorum queues: a Python client configured as the
/// README shows sends into them, a Python client left with Celery's defaults is refused loudly, and a Celery 5.2
/// worker cannot consume them.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class QuorumQueueInteropTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PythonClient_SendsIntoQuorumQueue_WhenItDeclaresTheEnginesArguments()
    {
        var queue = "test.pyquorum." + Guid.CreateVersion7().ToString("N")[^12..];
        var environment = QuorumEnvironment(queue);

        // The Python client first, on a broker without the queue: it creates the queue, and the worker started later
        // declares it again with its own arguments, which must be the same (or its start fails).
        var early = await PythonCelery.SendAsync(environment, DiagnosticTasks.Add, "[1, 2]", Token, "--no-wait");
        await using var host = await EngineTestHost.StartAsync(fixture, queue: queue, engineOptions: o => o.QueueType = QueueType.Quorum);

        var now = await PythonCelery.SendAsync(environment, DiagnosticTasks.Add, "[20, 22]", Token, "--timeout", "60");
        var later = await PythonCelery.SendAsync(environment, DiagnosticTasks.Ping, "[]", Token, "--countdown", "1", "--timeout", "60");

        Assert.Equal(("SUCCESS", 42), (now.GetProperty("status").GetString(), now.GetProperty("result").GetInt32()));
        Assert.Equal(("SUCCESS", "pong"), (later.GetProperty("status").GetString(), later.GetProperty("result").GetString()));
        Assert.Equal(3, (await host.Client.GetResult(early.GetProperty("id").GetString()!).GetAsync(Wait, Token)).GetInt32());
    }

    [Fact]
    public async Task PythonClient_FailsWithPreconditionFailed_WhenItDeclaresQuorumQueueWithCeleryDefaults()
    {
        await using var host = await EngineTestHost.StartAsync(fixture, engineOptions: o => o.QueueType = QueueType.Quorum);
        var environment = PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);

        // Celery creates a missing queue as a classic one and declares it before publishing: the broker refuses that.
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            PythonCelery.SendAsync(environment, DiagnosticTasks.Ping, "[]", Token, "--queue", host.Queue, "--no-wait"));

        Assert.Contains("PRECONDITION_FAILED", error.Message, StringComparison.Ordinal);
        Assert.Equal(0u, await host.MessageCountAsync(host.Queue));
    }

    [Fact]
    public async Task PythonWorker_IsRefusedGlobalQos_WhenItConsumesQuorumQueue()
    {
        var queue = "test.pyquorum." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var host = await EngineTestHost.StartAsync(fixture, worker: false, queue: queue, engineOptions: o => o.QueueType = QueueType.Quorum);

        // Celery 5.2 asks RabbitMQ (3.3 or later) for a per-channel prefetch (basic.qos global=true), which a quorum queue
        // refuses at basic.consume; the worker takes that for a lost connection and tries again, forever.
        await using var worker = await PythonCeleryWorker.StartUntilLogAsync(
            QuorumEnvironment(queue), queue, "does not support global qos", Token);

        Assert.Contains(worker.Log, line => line.Contains("NOT_IMPLEMENTED", StringComparison.Ordinal));
    }

    private Dictionary<string, string> QuorumEnvironment(string queue)
    {
        var environment = PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);
        environment["INTEROP_QUORUM_QUEUES"] = queue;
        environment["INTEROP_DEAD_LETTER_QUEUE"] = queue + ".dead";
        environment["INTEROP_DELIVERY_LIMIT"] = "20";
        return environment;
    }
}
