using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.TaskEngine.DependencyInjection;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;
using Onboarding.Tests.TaskEngine.Integration;

namespace Onboarding.Tests.Operations;

/// <summary>
/// Our worker's events read by real Celery: <c>celery events --dump</c> prints them, and
/// <c>celery.events.state.State</c> (what Flower builds on) rebuilds our worker and our tasks from them.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CeleryEventsInteropTests(CeleryFleetFixture fleet) : IClassFixture<CeleryFleetFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EventsDump_PrintsOurWorkersHeartbeatsAndTaskEvents()
    {
        var (dump, Text) = await StartDumpAsync();
        try
        {
            var id = await fleet.SendToDotNetAsync(DiagnosticTasks.Add, "[20, 22]", Token);

            await Eventually.UntilAsync(() => Lines(Text(), fleet.DotNetNode).Any(l => l.Contains("task succeeded", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal)),
                Wait, Token, TimeSpan.FromMilliseconds(200));
            var ours = Lines(Text(), fleet.DotNetNode).ToList();
            // celery's dumper prints "<node> [<time>] task received: <name>(<id>) args=<repr> kwargs=<repr> <fields>".
            Assert.Contains(ours, l => l.Contains($"task received: {DiagnosticTasks.Add}({id}) args=[20, 22] kwargs={{}}", StringComparison.Ordinal));
            Assert.Contains(ours, l => l.Contains("task started", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal));
            Assert.Contains(ours, l => l.Contains("task succeeded", StringComparison.Ordinal) && l.Contains("result=42", StringComparison.Ordinal));
            await Eventually.UntilAsync(() => Lines(Text(), fleet.DotNetNode).Any(l => l.Contains("heartbeat", StringComparison.Ordinal)), Wait, Token);
            Assert.Contains(Lines(Text(), fleet.DotNetNode), l => l.Contains("heartbeat", StringComparison.Ordinal) && l.Contains("freq=2", StringComparison.Ordinal)
                && l.Contains("sw_ident=onboarding-taskengine", StringComparison.Ordinal) && l.Contains("processed=", StringComparison.Ordinal));
        }
        finally
        {
            await StopAsync(dump);
        }
    }

    [Fact]
    public async Task CeleryState_RebuildsOurWorkerAndTasks_FromOurEvents()
    {
        var ids = new List<string>();
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Process? state = null;
        try
        {
            // The ids are only known after sending, so State listens for any task and the script is told them through stdin.
            state = StartStateScript(listening);
            await listening.Task.WaitAsync(Wait, Token);
            ids.Add(await fleet.SendToDotNetAsync(DiagnosticTasks.Add, "[2, 3]", Token));
            ids.Add(await fleet.SendToDotNetAsync(DiagnosticTasks.Fail, """["boom"]""", Token));
            await state.StandardInput.WriteLineAsync(string.Join(' ', ids).AsMemory(), Token);
            state.StandardInput.Close();
            var output = await state.StandardOutput.ReadToEndAsync(Token);
            await state.WaitForExitAsync(Token).WaitAsync(Wait, Token);
            var result = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

            var worker = result.GetProperty("workers").GetProperty(fleet.DotNetNode);
            Assert.True(worker.GetProperty("alive").GetBoolean());
            Assert.True(worker.GetProperty("heartbeats").GetInt32() >= 2);
            Assert.True(worker.GetProperty("processed").GetInt32() >= 2);
            Assert.Equal("onboarding-taskengine", worker.GetProperty("sw_ident").GetString());
            Assert.False(string.IsNullOrEmpty(worker.GetProperty("sw_ver").GetString()));
            Assert.Equal("Linux", worker.GetProperty("sw_sys").GetString());
            Assert.Equal(2.0, worker.GetProperty("freq").GetDouble());
            Assert.Equal(3, worker.GetProperty("loadavg").GetArrayLength());
            Assert.Equal(JsonValueKind.Number, worker.GetProperty("active").ValueKind);

            var succeeded = result.GetProperty("tasks").GetProperty(ids[0]);
            Assert.Equal("SUCCESS", succeeded.GetProperty("state").GetString());
            Assert.Equal(DiagnosticTasks.Add, succeeded.GetProperty("name").GetString());
            // The args repr the Python client put in the message (a list's repr), as a Python worker reports it.
            Assert.Equal("[2, 3]", succeeded.GetProperty("args").GetString());
            Assert.Equal("5", succeeded.GetProperty("result").GetString());
            Assert.True(succeeded.GetProperty("runtime").GetDouble() >= 0);
            Assert.Equal(fleet.DotNetNode, succeeded.GetProperty("worker").GetString());

            var failed = result.GetProperty("tasks").GetProperty(ids[1]);
            Assert.Equal("FAILURE", failed.GetProperty("state").GetString());
            Assert.Equal("['boom']", failed.GetProperty("args").GetString());
            Assert.Contains("boom", failed.GetProperty("exception").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(failed.GetProperty("traceback").GetString()));
            Assert.Equal(fleet.DotNetNode, failed.GetProperty("worker").GetString());
        }
        finally
        {
            if (state is { HasExited: false })
            {
                state.Kill(entireProcessTree: true);
            }

            state?.Dispose();
        }
    }

    [Fact]
    public async Task DumpAndState_FollowOurSentRetriedRevokedAndRejectedTasks_AndOurWorkerFromOnlineToOffline()
    {
        // A worker of its own, started and stopped inside the test, so both its worker-online and worker-offline are seen;
        // it sends task events (-E) and, as a client, task-sent (task_send_sent_event).
        var node = $"events-{Guid.NewGuid().ToString("N")[..8]}@localhost";
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (dump, Text) = await StartDumpAsync();
        using var state = StartStateScript(listening, node, "--until-offline");
        try
        {
            await listening.Task.WaitAsync(Wait, Token);
            var worker = await EngineTestHost.StartAsync(
                fleet.Broker,
                tasks: e => e.AddTask<FlakyArgs, FlakyHandler>("tests.flaky", o =>
                {
                    o.MaxRetries = 1;
                    o.RetryOnException<TransientException>();
                    o.RetryBackoff = TimeSpan.FromMilliseconds(100);
                    o.RetryJitter = false;
                }),
                services: s => s.AddSingleton(new Recorder()).Configure<TaskWorkerOptions>(o =>
                {
                    o.Hostname = node;
                    o.Events = true;
                }),
                engineOptions: o => o.SendSentEvents = true);
            string retried, terminated;
            var rejected = Guid.NewGuid().ToString();
            await using (worker)
            {
                // Fails once, retried, then succeeds.
                var flaky = await worker.Client.SendAsync("tests.flaky", new FlakyArgs(1), cancellationToken: Token);
                await flaky.GetAsync(Wait, Token);
                retried = flaky.Id;
                var sleep = await worker.Client.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(120)], cancellationToken: Token);
                terminated = sleep.Id;
                await Eventually.UntilAsync(async () =>
                    (await fleet.CeleryAsync(Token, "control", "terminate", "SIGTERM", terminated, "-d", node, "--json")).Output.Contains($"terminate: {terminated}", StringComparison.Ordinal),
                    Wait, Token, TimeSpan.FromMilliseconds(300));
                await worker.PublishRawAsync("not json"u8.ToArray(), new Dictionary<string, object?> { ["id"] = rejected, ["task"] = DiagnosticTasks.Add });
                await Eventually.UntilAsync(() => Lines(Text(), node).Any(l => l.Contains("task rejected", StringComparison.Ordinal))
                    && Lines(Text(), node).Any(l => l.Contains("task revoked", StringComparison.Ordinal) && l.Contains(terminated, StringComparison.Ordinal)),
                    Wait, Token, TimeSpan.FromMilliseconds(200));
            }

            await state.StandardInput.WriteLineAsync($"{retried} {terminated} {rejected}".AsMemory(), Token);
            state.StandardInput.Close();
            var output = await state.StandardOutput.ReadToEndAsync(Token);
            await state.WaitForExitAsync(Token).WaitAsync(Wait, Token);
            await Eventually.UntilAsync(() => Lines(Text(), node).Any(l => l.Contains("shutdown", StringComparison.Ordinal)), Wait, Token, TimeSpan.FromMilliseconds(200));

            // celery events --dump: "started" and "shutdown" are its words for worker-online and worker-offline.
            var ours = Lines(Text(), node).ToList();
            Assert.Contains(ours, l => l.StartsWith($"{node} [", StringComparison.Ordinal) && l.Contains("] started: ", StringComparison.Ordinal) && l.Contains("sw_ident=onboarding-taskengine", StringComparison.Ordinal));
            Assert.Contains(ours, l => l.Contains("task retried", StringComparison.Ordinal) && l.Contains(retried, StringComparison.Ordinal) && l.Contains("TransientException('transient 0')", StringComparison.Ordinal));
            Assert.Contains(ours, l => l.Contains("task revoked", StringComparison.Ordinal) && l.Contains(terminated, StringComparison.Ordinal) && l.Contains("terminated=True", StringComparison.Ordinal));
            // The dumper names a task by its task-received event; an unreadable message has none, so only its fields show.
            Assert.Contains(ours, l => l.Contains("task rejected", StringComparison.Ordinal) && l.Contains("requeue=False", StringComparison.Ordinal));
            Assert.Contains(Text().Split('\n'), l => l.Contains("task sent", StringComparison.Ordinal) && l.Contains(retried, StringComparison.Ordinal));

            // celery.events.state.State: the tasks' final states and the worker gone offline.
            var result = JsonDocument.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;
            var ourWorker = result.GetProperty("workers").GetProperty(node);
            Assert.Equal("worker-online", ourWorker.GetProperty("types")[0].GetString());
            Assert.Equal("worker-offline", ourWorker.GetProperty("types")[ourWorker.GetProperty("types").GetArrayLength() - 1].GetString());
            Assert.False(ourWorker.GetProperty("alive").GetBoolean());
            var tasks = result.GetProperty("tasks");
            var flakyTask = tasks.GetProperty(retried);
            Assert.Equal("SUCCESS", flakyTask.GetProperty("state").GetString());
            Assert.Equal(JsonValueKind.Number, flakyTask.GetProperty("sent").ValueKind);
            Assert.Equal("tests.flaky", flakyTask.GetProperty("name").GetString());
            Assert.Equal(node, flakyTask.GetProperty("worker").GetString());
            var flakyTypes = flakyTask.GetProperty("types").EnumerateArray().Select(t => t.GetString()).ToList();
            Assert.Contains("task-sent", flakyTypes);
            Assert.Contains("task-retried", flakyTypes);
            // Received once per send: the retry's copy parked until its ETA is not announced again when it comes back due.
            Assert.True(flakyTypes.Count(t => t == "task-received") == 2, string.Join(", ", flakyTypes));
            var revoked = tasks.GetProperty(terminated);
            Assert.Equal("REVOKED", revoked.GetProperty("state").GetString());
            Assert.True(revoked.GetProperty("terminated").GetBoolean());
            Assert.Equal("REJECTED", tasks.GetProperty(rejected).GetProperty("state").GetString());
        }
        finally
        {
            await StopAsync(dump);
            if (!state.HasExited)
            {
                state.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>Starts <c>celery events --dump</c> and waits until it captures; the second item reads what it printed so far.</summary>
    private async Task<(Process Dump, Func<string> Text)> StartDumpAsync()
    {
        var output = new StringBuilder();
        var start = PythonCelery.NewProcess(fleet.Environment, ["-m", "celery", "-A", "interop_app", "events", "--dump"]);
        var dump = Process.Start(start) ?? throw new InvalidOperationException("celery events did not start.");
        dump.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        dump.BeginOutputReadLine();
        dump.BeginErrorReadLine();
        string Text()
        {
            lock (output)
            {
                return output.ToString();
            }
        }

        try
        {
            await Eventually.UntilAsync(() => Text().Contains("starting capture", StringComparison.Ordinal), Wait, Token);
        }
        catch
        {
            await StopAsync(dump);
            throw;
        }

        return (dump, Text);
    }

    private static async Task StopAsync(Process dump)
    {
        dump.Kill(entireProcessTree: true);
        await dump.WaitForExitAsync(CancellationToken.None);
        dump.Dispose();
    }

    private Process StartStateScript(TaskCompletionSource listening, string? node = null, params string[] options)
    {
        var start = PythonCelery.NewProcess(fleet.Environment, [Path.Combine(PythonCelery.ScriptDirectory, "event_state.py"), "60", node ?? fleet.DotNetNode, .. options, "-"]);
        start.RedirectStandardInput = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException("event_state.py did not start.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == "ready")
            {
                listening.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        return process;
    }

    private static IEnumerable<string> Lines(string text, string node) =>
        text.Split('\n').Where(l => l.StartsWith(node + " ", StringComparison.Ordinal));
}
