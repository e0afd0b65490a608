using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;

namespace Onboarding.Tests.Operations;

/// <summary>
/// <c>celery control shutdown</c> aimed at one of our workers stops that one gracefully (exit code 0: the task it runs
/// finishes, the one it holds unstarted goes back to its queue) while another worker on the same queue keeps consuming.
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
        // The worker to stop also consumes a queue of its own, with one slot: what it runs and holds there is known.
        var own = $"{queue}.own";
        await using var first = WorkerProcess.Start(broker, $"{queue},{own}", 1, $"--Worker:Hostname={stopped}");
        await using var second = WorkerProcess.Start(broker, queue, 2, $"--Worker:Hostname={kept}");
        await Eventually.UntilAsync(async () =>
        {
            var ping = await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "ping", "-d", $"{stopped},{kept}", "--json");
            return ping.Output.Contains(stopped, StringComparison.Ordinal) && ping.Output.Contains(kept, StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), Token, TimeSpan.FromMilliseconds(500));

        var running = await SendWithoutWaitingAsync(environment, DiagnosticTasks.Sleep, "[8]", own);
        var waiting = await SendWithoutWaitingAsync(environment, DiagnosticTasks.Add, "[20, 22]", own);
        await Eventually.UntilAsync(async () =>
            (await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "active", "-d", stopped, "--json")).Output.Contains(running, StringComparison.Ordinal)
            && (await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "reserved", "-d", stopped, "--json")).Output.Contains(waiting, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), Token, TimeSpan.FromMilliseconds(300));

        // Celery's workers do not answer shutdown, so the command reports that no node replied.
        await PythonCelery.RunCeleryAsync(environment, Token, "control", "shutdown", "-d", stopped);

        await first.WaitForExitAsync(TimeSpan.FromSeconds(60), Token);
        Assert.Equal(0, first.ExitCode);
        Assert.Null(second.ExitCode);
        // The running task finished inside the grace period; the unstarted one was requeued, not lost: the other
        // worker, told to consume that queue too, runs it.
        Assert.Equal("SUCCESS", (await PythonCelery.RunScriptAsync(environment, "result_of.py", Token, running)).GetProperty("status").GetString());
        Assert.Equal("PENDING", (await PythonCelery.RunScriptAsync(environment, "result_of.py", Token, waiting)).GetProperty("status").GetString());
        var add = await PythonCelery.RunCeleryAsync(environment, Token, "control", "add_consumer", own, "-d", kept, "--json");
        Assert.Equal($"add consumer {own}", add.ReplyOf(kept).GetProperty("ok").GetString());
        await Eventually.UntilAsync(async () =>
            (await PythonCelery.RunScriptAsync(environment, "result_of.py", Token, waiting)).GetProperty("status").GetString() == "SUCCESS",
            TimeSpan.FromSeconds(60), Token, TimeSpan.FromMilliseconds(300));
        for (var i = 0; i < 3; i++)
        {
            var outcome = await PythonCelery.SendAsync(environment, DiagnosticTasks.Add, $"[{i}, 1]", Token, "--queue", queue);
            Assert.Equal("SUCCESS", outcome.GetProperty("status").GetString());
        }

        var after = await PythonCelery.RunCeleryAsync(environment, Token, "inspect", "ping", "-d", $"{stopped},{kept}", "--json");
        Assert.Equal("pong", after.ReplyOf(kept).GetProperty("ok").GetString());
        Assert.DoesNotContain(stopped, after.Output, StringComparison.Ordinal);
    }

    private static async Task<string> SendWithoutWaitingAsync(Dictionary<string, string> environment, string task, string argsJson, string queue)
    {
        var sent = await PythonCelery.RunScriptAsync(environment, "send_task.py", Token, task, argsJson, "--queue", queue, "--no-wait");
        return sent.GetProperty("id").GetString() ?? throw new InvalidOperationException("send_task.py printed no id.");
    }
}
