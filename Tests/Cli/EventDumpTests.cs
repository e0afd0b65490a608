using System.Text.Json;
using Onboarding.Cli.Commands;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Tests.Cli;

public sealed class EventDumpTests
{
    [Fact]
    public void Format_WritesCeleryDumpLines_WhenATaskIsReceivedAndSucceeds()
    {
        var dump = new EventDump();

        var received = dump.Format(Event("""
            {"type": "task-received", "hostname": "celery@a", "timestamp": 1764878400.25, "uuid": "t1", "name": "diagnostics.add",
             "args": "(2, 3)", "kwargs": "{}", "retries": 0, "clock": 7}
            """));
        var succeeded = dump.Format(Event("""
            {"type": "task-succeeded", "hostname": "celery@a", "timestamp": 1764878401, "uuid": "t1", "result": "5", "runtime": 0.0012}
            """));
        var heartbeat = dump.Format(Event("""
            {"type": "worker-heartbeat", "hostname": "celery@a", "timestamp": 1764878402.5, "active": 0, "loadavg": [0.5, 0.25, 0.1], "sw_ident": "onboarding"}
            """));

        Assert.Equal("celery@a [2025-12-04 20:00:00.250000] task received: diagnostics.add(t1) args=(2, 3) kwargs={} clock=7, retries=0", received);
        Assert.Equal("celery@a [2025-12-04 20:00:01] task succeeded: diagnostics.add(t1) args=(2, 3) kwargs={} result=5, runtime=0.0012", succeeded);
        Assert.Equal("celery@a [2025-12-04 20:00:02.500000] heartbeat: active=0, loadavg=[0.5, 0.25, 0.1], sw_ident=onboarding", heartbeat);
    }

    private static CeleryEvent Event(string json)
    {
        var fields = JsonDocument.Parse(json).RootElement.Clone();
        var seconds = fields.GetProperty("timestamp").GetDouble();
        return new CeleryEvent
        {
            Type = fields.GetProperty("type").GetString()!,
            Hostname = fields.GetProperty("hostname").GetString()!,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)),
            TaskId = fields.TryGetProperty("uuid", out var id) ? id.GetString() : null,
            Fields = fields,
        };
    }
}
