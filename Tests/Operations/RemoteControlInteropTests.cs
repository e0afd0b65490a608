using System.Text.Json;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.Operations;

/// <summary>
/// Debian's real <c>celery inspect</c> / <c>celery control</c> / <c>celery status</c> against a fleet of one Python
/// Celery worker and one of ours: every command is answered by both nodes, each under its own name, in Celery 5.2's
/// reply format, and the control commands change our worker live.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RemoteControlInteropTests(CeleryFleetFixture fleet) : IClassFixture<CeleryFleetFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Both => $"{fleet.PythonNode},{fleet.DotNetNode}";

    [Fact]
    public async Task InspectPing_AnswersPong_FromBothNodes()
    {
        var ping = await fleet.CeleryAsync(Token, "inspect", "ping", "-d", Both, "--json");

        Assert.Equal("pong", ping.ReplyOf(fleet.PythonNode).GetProperty("ok").GetString());
        Assert.Equal("pong", ping.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
    }

    [Fact]
    public async Task Status_ListsBothNodesOnline()
    {
        var status = await fleet.CeleryAsync(Token, "status", "-d", Both);

        Assert.Equal(0, status.ExitCode);
        Assert.Contains($"{fleet.PythonNode}: OK", status.Output, StringComparison.Ordinal);
        Assert.Contains($"{fleet.DotNetNode}: OK", status.Output, StringComparison.Ordinal);
        Assert.Contains("2 nodes online.", status.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InspectStats_ReportsPoolPrefetchAndTotals_OfOurNode()
    {
        var id = await fleet.SendToDotNetAsync(DiagnosticTasks.Add, "[1, 2]", Token);
        await fleet.WaitForStateAsync(id, "SUCCESS", Token);

        var stats = await fleet.CeleryAsync(Token, "inspect", "stats", "-d", Both, "--json");

        var ours = stats.ReplyOf(fleet.DotNetNode);
        Assert.True(ours.GetProperty("total").GetProperty(DiagnosticTasks.Add).GetInt32() >= 1);
        Assert.True(ours.GetProperty("pool").GetProperty("max-concurrency").GetInt32() >= 1);
        Assert.True(ours.GetProperty("prefetch_count").GetInt32() >= 1);
        Assert.True(ours.GetProperty("pid").GetInt32() > 0);
        Assert.Equal(JsonValueKind.Object, stats.ReplyOf(fleet.PythonNode).GetProperty("pool").ValueKind);
    }

    [Fact]
    public async Task InspectActiveReservedAndQueryTask_ListTheTasksOurNodeHolds()
    {
        // One slot: the first sleep runs, the second waits reserved.
        var running = await fleet.SendToDotNetAsync(DiagnosticTasks.Sleep, "[60]", Token);
        var waiting = await fleet.SendToDotNetAsync(DiagnosticTasks.Sleep, "[60]", Token);
        try
        {
            JsonElement active = default;
            await Eventually.UntilAsync(async () =>
            {
                active = (await fleet.CeleryAsync(Token, "inspect", "active", "-d", Both, "--json")).ReplyOf(fleet.DotNetNode);
                return active.GetArrayLength() == 1;
            }, TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));
            var request = active[0];
            Assert.Equal(running, request.GetProperty("id").GetString());
            Assert.Equal(DiagnosticTasks.Sleep, request.GetProperty("name").GetString());
            Assert.Equal(60, request.GetProperty("args")[0].GetInt32());
            Assert.Equal(fleet.DotNetNode, request.GetProperty("hostname").GetString());
            Assert.Equal(fleet.DotNetQueue, request.GetProperty("delivery_info").GetProperty("routing_key").GetString());
            Assert.True(request.GetProperty("time_start").GetDouble() > 0);

            var reserved = (await fleet.CeleryAsync(Token, "inspect", "reserved", "-d", Both, "--json")).ReplyOf(fleet.DotNetNode);
            Assert.Equal(waiting, Assert.Single(reserved.EnumerateArray()).GetProperty("id").GetString());

            var query = (await fleet.CeleryAsync(Token, "inspect", "query_task", running, waiting, "-d", Both, "--json")).ReplyOf(fleet.DotNetNode);
            Assert.Equal("active", query.GetProperty(running)[0].GetString());
            Assert.Equal("reserved", query.GetProperty(waiting)[0].GetString());
            Assert.Equal(waiting, query.GetProperty(waiting)[1].GetProperty("id").GetString());
        }
        finally
        {
            await fleet.CeleryAsync(Token, "control", "revoke", waiting, "-d", fleet.DotNetNode, "--json");
            await fleet.CeleryAsync(Token, "control", "terminate", "SIGTERM", running, "-d", fleet.DotNetNode, "--json");
        }

        await fleet.WaitForStateAsync(running, "REVOKED", Token);
        await fleet.WaitForStateAsync(waiting, "REVOKED", Token);
    }

    [Fact]
    public async Task ControlTerminate_CancelsTheRunningHandler_AndStoresRevoked()
    {
        var id = await fleet.SendToDotNetAsync(DiagnosticTasks.Sleep, "[120]", Token);
        await Eventually.UntilAsync(async () =>
            (await fleet.CeleryAsync(Token, "inspect", "active", "-d", fleet.DotNetNode, "--json")).Output.Contains(id, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));

        var terminate = await fleet.CeleryAsync(Token, "control", "terminate", "SIGTERM", id, "-d", Both, "--json");

        Assert.Equal($"terminate: {id}", terminate.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        Assert.Equal("terminate: tasks unknown", terminate.ReplyOf(fleet.PythonNode).GetProperty("ok").GetString());
        var outcome = await fleet.WaitForStateAsync(id, "REVOKED", Token);
        Assert.Equal("TaskRevokedError", outcome.GetProperty("exc_type").GetString());
        Assert.Contains("terminated", outcome.GetProperty("exc_message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlRevoke_FlagsTheIdOnBothNodes_AndOurNodeDiscardsTheTask()
    {
        var id = Guid.NewGuid().ToString();

        var revoke = await fleet.CeleryAsync(Token, "control", "revoke", id, "-d", Both, "--json");

        Assert.Equal($"tasks {id} flagged as revoked", revoke.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        Assert.Equal($"tasks {id} flagged as revoked", revoke.ReplyOf(fleet.PythonNode).GetProperty("ok").GetString());
        var revoked = await fleet.CeleryAsync(Token, "inspect", "revoked", "-d", Both, "--json");
        Assert.Contains(revoked.ReplyOf(fleet.DotNetNode).EnumerateArray(), e => e.GetString() == id);
        Assert.Contains(revoked.ReplyOf(fleet.PythonNode).EnumerateArray(), e => e.GetString() == id);

        await PythonSendWithIdAsync(id);
        var outcome = await fleet.WaitForStateAsync(id, "REVOKED", Token);
        Assert.Equal("TaskRevokedError", outcome.GetProperty("exc_type").GetString());
    }

    [Fact]
    public async Task InspectScheduledRegisteredQueuesAndConf_AnswerInCelerysShapes()
    {
        var scheduled = await fleet.CeleryAsync(Token, "inspect", "scheduled", "-d", Both, "--json");
        Assert.Equal(0, scheduled.ReplyOf(fleet.DotNetNode).GetArrayLength());
        Assert.Equal(JsonValueKind.Array, scheduled.ReplyOf(fleet.PythonNode).ValueKind);

        var registered = await fleet.CeleryAsync(Token, "inspect", "registered", "-d", Both, "--json");
        Assert.Contains(registered.ReplyOf(fleet.DotNetNode).EnumerateArray(), e => e.GetString()!.StartsWith(DiagnosticTasks.Add, StringComparison.Ordinal));
        Assert.Contains(registered.ReplyOf(fleet.PythonNode).EnumerateArray(), e => e.GetString()!.StartsWith(DiagnosticTasks.Add, StringComparison.Ordinal));

        var queues = await fleet.CeleryAsync(Token, "inspect", "active_queues", "-d", Both, "--json");
        var ours = Assert.Single(queues.ReplyOf(fleet.DotNetNode).EnumerateArray(), q => q.GetProperty("name").GetString() == fleet.DotNetQueue);
        Assert.Equal(fleet.DotNetQueue, ours.GetProperty("routing_key").GetString());
        Assert.True(ours.GetProperty("durable").GetBoolean());
        Assert.Contains(queues.ReplyOf(fleet.PythonNode).EnumerateArray(), q => q.GetProperty("name").GetString() == fleet.PythonQueue);

        var conf = await fleet.CeleryAsync(Token, "inspect", "conf", "-d", Both, "--json");
        var settings = conf.ReplyOf(fleet.DotNetNode);
        Assert.Equal("json", settings.GetProperty("task_serializer").GetString());
        Assert.Contains("********", settings.GetProperty("broker_url").GetString(), StringComparison.Ordinal);
        var password = new Uri(fleet.Broker.RabbitMqConnectionString).UserInfo.Split(':')[1];
        Assert.DoesNotContain($":{password}@", settings.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ControlRateLimit_SetsTheLimitOnOurNode_AndRefusesUnknownTasks()
    {
        try
        {
            var set = await fleet.CeleryAsync(Token, "control", "rate_limit", DiagnosticTasks.Echo, "10/s", "-d", Both, "--json");
            Assert.Equal("new rate limit set successfully", set.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
            Assert.Equal("new rate limit set successfully", set.ReplyOf(fleet.PythonNode).GetProperty("ok").GetString());
            var registered = await fleet.CeleryAsync(Token, "inspect", "registered", "-d", fleet.DotNetNode, "--json");
            Assert.Contains(registered.ReplyOf(fleet.DotNetNode).EnumerateArray(), e => e.GetString() == $"{DiagnosticTasks.Echo} [rate_limit=10/s]");

            var unknown = await fleet.CeleryAsync(Token, "control", "rate_limit", "no.such.task", "10/s", "-d", fleet.DotNetNode, "--json");
            Assert.Equal("unknown task", unknown.ReplyOf(fleet.DotNetNode).GetProperty("error").GetString());
            var invalid = await fleet.CeleryAsync(Token, "control", "rate_limit", DiagnosticTasks.Echo, "fast", "-d", fleet.DotNetNode, "--json");
            Assert.StartsWith("Invalid rate limit string", invalid.ReplyOf(fleet.DotNetNode).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await fleet.CeleryAsync(Token, "control", "rate_limit", DiagnosticTasks.Echo, "0", "-d", Both, "--json");
        }
    }

    [Fact]
    public async Task ControlTimeLimit_AppliesTheNewHardLimit_ToTheNextRun()
    {
        try
        {
            var set = await fleet.CeleryAsync(Token, "control", "time_limit", DiagnosticTasks.Sleep, "0.5", "1", "-d", Both, "--json");
            Assert.Equal("time limits set successfully", set.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());

            var id = await fleet.SendToDotNetAsync(DiagnosticTasks.Sleep, "[30]", Token);

            var outcome = await fleet.WaitForStateAsync(id, "FAILURE", Token);
            Assert.Contains(outcome.GetProperty("exc_type").GetString(), new[] { "SoftTimeLimitExceeded", "TimeLimitExceeded" });
        }
        finally
        {
            await fleet.CeleryAsync(Token, "control", "time_limit", DiagnosticTasks.Sleep, "0", "0", "-d", Both, "--json");
        }
    }

    [Fact]
    public async Task ControlAddAndCancelConsumer_StartAndStopConsumingAQueue_Live()
    {
        var extra = fleet.DotNetQueue + ".extra";

        var add = await fleet.CeleryAsync(Token, "control", "add_consumer", extra, "-d", fleet.DotNetNode, "--json");

        Assert.Equal($"add consumer {extra}", add.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        await Eventually.UntilAsync(async () =>
            (await fleet.CeleryAsync(Token, "inspect", "active_queues", "-d", fleet.DotNetNode, "--json")).Output.Contains($"\"{extra}\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));
        var id = await fleet.SendToDotNetAsync(DiagnosticTasks.Add, "[40, 2]", Token, extra);
        Assert.Equal(42, (await fleet.WaitForStateAsync(id, "SUCCESS", Token)).GetProperty("result").GetInt32());

        var cancel = await fleet.CeleryAsync(Token, "control", "cancel_consumer", extra, "-d", fleet.DotNetNode, "--json");

        Assert.Equal($"no longer consuming from {extra}", cancel.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        await Eventually.UntilAsync(async () =>
            !(await fleet.CeleryAsync(Token, "inspect", "active_queues", "-d", fleet.DotNetNode, "--json")).Output.Contains($"\"{extra}\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task ControlPoolGrowAndShrink_ChangeOurNodesConcurrency_Live()
    {
        var before = await ConcurrencyAsync();

        var grow = await fleet.CeleryAsync(Token, "control", "pool_grow", "2", "-d", fleet.DotNetNode, "--json");

        Assert.Equal("pool will grow", grow.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        await Eventually.UntilAsync(async () => await ConcurrencyAsync() == before + 2, TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));

        var shrink = await fleet.CeleryAsync(Token, "control", "pool_shrink", "2", "-d", fleet.DotNetNode, "--json");

        Assert.Equal("pool will shrink", shrink.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        await Eventually.UntilAsync(async () => await ConcurrencyAsync() == before, TimeSpan.FromSeconds(30), Token, TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task ControlDisableAndEnableEvents_SwitchOurNodesTaskEvents()
    {
        try
        {
            var off = await fleet.CeleryAsync(Token, "control", "disable_events", "-d", fleet.DotNetNode, "--json");
            Assert.Equal("task events disabled", off.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
            var conf = await fleet.CeleryAsync(Token, "inspect", "conf", "-d", fleet.DotNetNode, "--json");
            Assert.False(conf.ReplyOf(fleet.DotNetNode).GetProperty("worker_send_task_events").GetBoolean());
        }
        finally
        {
            var on = await fleet.CeleryAsync(Token, "control", "enable_events", "-d", fleet.DotNetNode, "--json");
            Assert.Equal("task events enabled", on.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        }
    }

    [Fact]
    public async Task Inspect_AnswersOnlyTheNamedNode_WhenADestinationIsGiven()
    {
        var ping = await fleet.CeleryAsync(Token, "inspect", "ping", "-d", fleet.DotNetNode, "--json");

        Assert.Equal("pong", ping.ReplyOf(fleet.DotNetNode).GetProperty("ok").GetString());
        Assert.DoesNotContain(fleet.PythonNode, ping.Output, StringComparison.Ordinal);
    }

    private async Task<int> ConcurrencyAsync() =>
        (await fleet.CeleryAsync(Token, "inspect", "stats", "-d", fleet.DotNetNode, "--json"))
            .ReplyOf(fleet.DotNetNode).GetProperty("pool").GetProperty("max-concurrency").GetInt32();

    private async Task PythonSendWithIdAsync(string id)
    {
        var script = $"from interop_app import app; app.send_task('{DiagnosticTasks.Add}', args=[1, 1], queue='{fleet.DotNetQueue}', task_id='{id}')";
        var start = Interop.PythonCelery.NewProcess(fleet.Environment, ["-c", script]);
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        await process.WaitForExitAsync(Token);
        Assert.Equal(0, process.ExitCode);
    }
}
