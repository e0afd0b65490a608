using System.Text.Json;
using Onboarding.TaskEngine.Control;
using Onboarding.TaskEngine.Monitoring;

namespace Onboarding.Tests.TaskEngine.Operations;

/// <summary>The pure parts of remote control and events: destination rules, command bodies, reply and event parsing.</summary>
public sealed class PidboxMessageTests
{
    [Theory]
    [InlineData("""{"destination": null}""", true)]
    [InlineData("""{"destination": []}""", true)]
    [InlineData("""{"destination": ["w1@box"]}""", true)]
    [InlineData("""{"destination": ["w2@box", "w3@box"]}""", false)]
    [InlineData("""{"destination": null, "pattern": "w*@box", "matcher": "glob"}""", true)]
    [InlineData("""{"destination": null, "pattern": "x*", "matcher": "glob"}""", false)]
    [InlineData("""{"destination": null, "pattern": "^w\\d@", "matcher": "pcre"}""", true)]
    public void IsForMe_FollowsKombusDestinationRules_ForTheNode(string body, bool expected) =>
        Assert.Equal(expected, PidboxService.IsForMe(JsonDocument.Parse(body).RootElement, "w1@box"));

    [Fact]
    public void Command_WritesKombusBody_WithTicketAndReplyTo()
    {
        var body = JsonDocument.Parse(ControlReplies.Command("revoke", new Dictionary<string, object?> { ["task_id"] = new[] { "a" } }, ["w1@box"], "t-1", "oid-1")).RootElement;

        Assert.Equal("revoke", body.GetProperty("method").GetString());
        Assert.Equal("a", body.GetProperty("arguments").GetProperty("task_id")[0].GetString());
        Assert.Equal("w1@box", body.GetProperty("destination")[0].GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("pattern").ValueKind);
        Assert.Equal("t-1", body.GetProperty("ticket").GetString());
        Assert.Equal("reply.celery.pidbox", body.GetProperty("reply_to").GetProperty("exchange").GetString());
        Assert.Equal("oid-1", body.GetProperty("reply_to").GetProperty("routing_key").GetString());
    }

    [Fact]
    public void Requests_ReadsPythonCelerysActiveReply()
    {
        // Captured from Celery 5.2.6: `celery inspect active --json` against a worker running diagnostics.sleep(5).
        var reply = JsonDocument.Parse("""
            [{"id": "aaaa-sleep-1", "name": "diagnostics.sleep", "args": [5], "kwargs": {}, "type": "diagnostics.sleep",
              "hostname": "pyw@localhost", "time_start": 1796415806.0047195, "acknowledged": false,
              "delivery_info": {"exchange": "", "routing_key": "default", "priority": 0, "redelivered": false}, "worker_pid": 8046}]
            """).RootElement;

        var request = Assert.Single(ControlReplies.Requests(reply));

        Assert.Equal("aaaa-sleep-1", request.Id);
        Assert.Equal("diagnostics.sleep", request.Name);
        Assert.Equal(5, request.Args[0].GetInt32());
        Assert.Equal("default", request.RoutingKey);
        Assert.Equal(8046, request.WorkerPid);
        Assert.Equal(1796415806L, request.TimeStart!.Value.ToUnixTimeSeconds());
    }

    [Fact]
    public void StatsAndResult_ReadPythonCelerysReplies()
    {
        var stats = ControlReplies.Stats(JsonDocument.Parse("""
            {"total": {"diagnostics.add": 3}, "pid": 8046, "clock": "6", "uptime": 8, "pool": {"max-concurrency": 2}, "prefetch_count": 2}
            """).RootElement);

        Assert.Equal(3, stats.Total["diagnostics.add"]);
        Assert.Equal(2, stats.MaxConcurrency);
        Assert.Equal("6", stats.Clock);
        Assert.Equal(new ControlResult(true, "pong"), ControlReplies.Result(JsonDocument.Parse("""{"ok": "pong"}""").RootElement));
        Assert.Equal("unknown task", ControlReplies.ErrorOf(JsonDocument.Parse("""{"error": "unknown task"}""").RootElement));
    }

    [Fact]
    public void Parse_SplitsATaskBatch_IntoItsEvents()
    {
        var batch = """
            [{"hostname": "w1@box", "utcoffset": 0, "pid": 1, "clock": 25, "uuid": "t1", "name": "diagnostics.sleep", "args": "(5,)",
              "kwargs": "{}", "timestamp": 1796415806.004294, "type": "task-received"},
             {"hostname": "w1@box", "utcoffset": 0, "pid": 1, "clock": 26, "uuid": "t1", "timestamp": 1796415806.0048118, "type": "task-started"}]
            """u8.ToArray();

        var events = CeleryEventReader.Parse(batch);

        Assert.Equal([CeleryEventTypes.TaskReceived, CeleryEventTypes.TaskStarted], events.Select(e => e.Type));
        Assert.All(events, e => Assert.Equal("t1", e.TaskId));
        Assert.Equal("(5,)", events[0].GetString("args"));
        Assert.Equal(26, events[1].Clock);
        Assert.Equal("task", events[1].Group);
    }

    [Fact]
    public void Parse_SkipsWhatIsNotAnEvent()
    {
        Assert.Empty(CeleryEventReader.Parse("not json"u8.ToArray()));
        Assert.Empty(CeleryEventReader.Parse("""{"no": "type"}"""u8.ToArray()));
    }
}
