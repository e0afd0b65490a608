using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;

namespace Onboarding.Tests.Operations;

/// <summary>
/// <c>celery control shutdown</c> aimed at one of our workers stops that one gracefully (exit code 0) while another
/// worker on the same queue keeps consuming; the stopped node's mailbox queue then expires as kombu's does.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class WorkerShutdownTests(BrokerFixture broker)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ControlShutdown_StopsTheNamedWorker_WhileTheOtherKeepsConsuming()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var queue = $"shutdown.{suffix}";
        var (stopped, kept) = ($"stopped-{suffix}@localhost", $"kept-{suffix}@localhost");
        var environment = PythonCelery.Environment(broker.RabbitMqConnectionString, broker.RedisConnectionString);
        await using var first = WorkerProcess.Start(broker, queue, 2, $"--Worker:Hostname={stopped}");
        await using var second = WorkerProcess.Start(broker, queue, 2, $"--Worker:Hostname={kept}");
        await Eventually.UntilAsync(async () =>
        {
            var ping = await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "ping", "-d", $"{stopped},{kept}", "--json");
            return ping.Output.Contains(stopped, StringComparison.Ordinal) && ping.Output.Contains(kept, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), Token, TimeSpan.FromMilliseconds(500));

        // Celery's workers do not answer shutdown, so the command reports that no node replied.
        await PythonCelery.RunCeleryAsync(environment, Token, "control", "shutdown", "-d", stopped);

        await first.WaitForExitAsync(TimeSpan.FromSeconds(60), Token);
        Assert.Equal(0, first.ExitCode);
        Assert.Null(second.ExitCode);
        for (var i = 0; i < 3; i++)
        {
            var outcome = await PythonCelery.SendAsync(environment, DiagnosticTasks.Add, $"[{i}, 1]", Token, "--queue", queue);
            Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        }

        var after = await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "ping", "-d", $"{stopped},{kept}", "--json");
        Assert.Equal("pong", after.ReplyOf(kept).GetProperty("ok").GetString());
        Assert.DoesNotContain(stopped, after.Output, StringComparison.Ordinal);
    }
}
