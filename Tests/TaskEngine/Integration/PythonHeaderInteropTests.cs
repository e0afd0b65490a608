using System.Diagnostics;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.TaskEngine.RabbitMq;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;

namespace Onboarding.Tests.TaskEngine.Integration;

/// <summary>Real Celery 5.2.6 clients sending what RabbitMQ.Client cannot read: a custom header with a large int.</summary>
[Collection(BrokerCollection.Name)]
public sealed class PythonHeaderInteropTests(BrokerFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_DeadLettersAndKeepsConsuming_WhenPythonSendsLargeIntHeader()
    {
        await using var host = await EngineTestHost.StartAsync(fixture);
        var environment = PythonCelery.Environment(fixture.RabbitMqConnectionString, fixture.RedisConnectionString);
        if (EngineTestHost.QueueTypeUnderTest == QueueType.Quorum)
        {
            // The Python client declares the queue before publishing: as the engine does (see interop_app.py).
            environment["INTEROP_QUORUM_QUEUES"] = host.Queue;
            environment["INTEROP_DEAD_LETTER_QUEUE"] = host.DeadLetterQueue;
        }

        var script = $$"""
            from interop_app import app
            r = app.send_task('{{DiagnosticTasks.Ping}}', queue='{{host.Queue}}', headers={'sent_at_ms': 1795567551151})
            print(r.id)
            """;

        // py-amqp writes ints outside ±2^31 with the 'L' tag.
        using var process = Process.Start(PythonCelery.NewProcess(environment, ["-c", script]))
            ?? throw new InvalidOperationException("python3 did not start.");
        var output = await process.StandardOutput.ReadToEndAsync(Token);
        var error = await process.StandardError.ReadToEndAsync(Token);
        await process.WaitForExitAsync(Token);
        Assert.True(process.ExitCode == 0, error);
        var id = output.Trim();

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
}
