using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;

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
        var output = new StringBuilder();
        var start = PythonCelery.NewProcess(fleet.Environment, ["-m", "celery", "-A", "interop_app", "events", "--dump"]);
        using var dump = Process.Start(start) ?? throw new InvalidOperationException("celery events did not start.");
        dump.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }
        };
        dump.BeginOutputReadLine();
        dump.BeginErrorReadLine();
        try
        {
            string Text()
            {
                lock (output)
                {
                    return output.ToString();
                }
            }

            await Eventually.UntilAsync(() => Text().Contains("starting capture", StringComparison.Ordinal), Wait, Token);
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
            dump.Kill(entireProcessTree: true);
            await dump.WaitForExitAsync(CancellationToken.None);
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

    private Process StartStateScript(TaskCompletionSource listening)
    {
        var start = PythonCelery.NewProcess(fleet.Environment, [Path.Combine(PythonCelery.ScriptDirectory, "event_state.py"), "60", fleet.DotNetNode, "-"]);
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
