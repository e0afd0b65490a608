using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The Queues, Dead letters and Schedules APIs against the whole application (real RabbitMQ and Redis, the three
/// workers with their schedulers). Each test cleans up the dead letters it made.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleOperationsApiTests(AppFixture fixture)
{
    private const string DeadLetterQueue = "onboarding.dead_letter";
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(60);

    private static readonly string[] NewActions =
    [
        "/api/queues/default/purge",
        "/api/dead-letters/some-id/replay",
        "/api/dead-letters/some-id/discard",
        "/api/dead-letters/replay",
        "/api/dead-letters/discard",
        "/api/schedules/expire-unpaid-orders/run",
    ];

    [Fact]
    public async Task Queues_ListsEveryWorkQueueWithItsConsumers_AndSaysWhatAmqpCannotGive()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var op = await ConsoleOperator.StartAsync(fixture.App, ct);

        var report = await op.GetAsync("/api/queues", ct);

        // The test app runs the broker without its management plugin: the AMQP source, honest about rates.
        Assert.Equal("amqp", report.GetProperty("source").GetString());
        Assert.Contains(report.GetProperty("unavailable").EnumerateArray(), line => line.GetString()!.Contains("rates", StringComparison.OrdinalIgnoreCase));
        var queues = report.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        foreach (var name in new[] { "user_queue", "order_queue", "notification_queue", "default" })
        {
            Assert.Equal("work", queues[name].GetProperty("kind").GetString());
            Assert.True(queues[name].GetProperty("consumers").GetInt64() >= 1, $"{name} has no consumer.");
            Assert.Equal(JsonValueKind.Null, queues[name].GetProperty("publishRate").ValueKind);
            Assert.Equal(JsonValueKind.Number, queues[name].GetProperty("unacked").ValueKind);
        }

        Assert.Equal("dead-letter", queues[DeadLetterQueue].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Purge_EmptiesTheQueuesReadyMessages_AndAnswers404ForAnUnknownQueue()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var op = await ConsoleOperator.StartAsync(fixture.App, ct);
        var ids = await op.SendUnregisteredAsync(3, ct);
        await WaitForDeadLettersAsync(op, ids, ct);
        await HttpPolling.UntilAsync(op.Http, "/api/queues", r => Ready(r, DeadLetterQueue) >= 3, FlowTimeout, ct);

        using var purge = await op.PostAsync($"/api/queues/{DeadLetterQueue}/purge", ct);
        using var unknown = await op.PostAsync("/api/queues/no-such-queue/purge", ct);
        var after = await op.GetAsync("/api/queues", ct);

        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.True((await purge.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("purged").GetInt64() >= 3);
        Assert.Equal(0, Ready(after, DeadLetterQueue));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task DeadLetters_ListsEachMessage_AndReplaysOrDiscardsOneTheSelectedOrAll()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var op = await ConsoleOperator.StartAsync(fixture.App, ct);
        var ids = await op.SendUnregisteredAsync(4, ct);
        var listed = await WaitForDeadLettersAsync(op, ids, ct);

        var letter = listed.GetProperty("letters").EnumerateArray().First(l => l.GetProperty("id").GetString() == ids[0]);
        Assert.Equal("console_tests.no_such_task", letter.GetProperty("task").GetString());
        Assert.Equal("not-registered", letter.GetProperty("reason").GetString());
        Assert.Contains("not registered", letter.GetProperty("exception").GetString(), StringComparison.Ordinal);
        Assert.Equal("default", letter.GetProperty("origin").GetString());
        Assert.NotEqual(JsonValueKind.Null, letter.GetProperty("deadLetteredAt").ValueKind);
        Assert.Contains("[0]", letter.GetProperty("body").GetString(), StringComparison.Ordinal);

        // One replayed: back to `default`, whose worker dead-letters it again (still unknown there), so it comes back.
        using var replayOne = await op.PostAsync($"/api/dead-letters/{ids[0]}/replay", ct);
        Assert.Equal(HttpStatusCode.OK, replayOne.StatusCode);
        await HttpPolling.UntilAsync(op.Http, "/api/dead-letters?limit=500", r => Count(r, ids[0]) == 1, FlowTimeout, ct);

        // Two selected (API clients name them in the query; the page's form posts them as fields), discarded: gone for good; the others stay.
        using var discardSelected = await op.PostAsync($"/api/dead-letters/discard?id={ids[1]}&id={ids[2]}", ct);
        Assert.Equal(2, (await discardSelected.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("count").GetInt32());
        var afterDiscard = await op.GetAsync("/api/dead-letters?limit=500", ct);
        Assert.Equal(0, Count(afterDiscard, ids[1]) + Count(afterDiscard, ids[2]));
        Assert.Equal(1, Count(afterDiscard, ids[3]));

        // Nothing selected is a clear error, not "all"; an unknown id is a 404.
        using var none = await op.PostAsync("/api/dead-letters/replay", ct);
        using var unknownId = await op.PostAsync("/api/dead-letters/no-such-id/discard", ct);
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownId.StatusCode);

        // All replayed: every message leaves the queue at once (and these come back, still unknown), then all discarded.
        using var replayAll = await op.PostAsync("/api/dead-letters/replay?all=true", ct);
        Assert.True((await replayAll.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("count").GetInt32() >= 2);
        await HttpPolling.UntilAsync(op.Http, "/api/dead-letters?limit=500", r => Count(r, ids[0]) == 1 && Count(r, ids[3]) == 1, FlowTimeout, ct);
        using var discardAll = await op.PostAsync("/api/dead-letters/discard?all=true", ct);
        Assert.Equal(0, (await op.GetAsync("/api/dead-letters", ct)).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Schedules_ListsTheWorkersPeriodicTasksAndTheLeaseHolder_AndRunNowSendsOneVisibleInTheTaskList()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var op = await ConsoleOperator.StartAsync(fixture.App, ct);

        // The roll-up runs every 2 s in the test app, so its last run appears once the lease holder fired it.
        var schedules = await HttpPolling.UntilAsync(op.Http, "/api/schedules",
            r => r.GetProperty("leaseHolder").ValueKind == JsonValueKind.String && Entry(r, "registration-stats-rollup")?.GetProperty("lastRun").ValueKind == JsonValueKind.String,
            FlowTimeout, ct);

        Assert.Matches("^(user|order|notification)-worker@", schedules.GetProperty("leaseHolder").GetString());
        var rollup = Entry(schedules, "registration-stats-rollup")!.Value;
        Assert.Equal("user_service.tasks.rollup_registration_stats", rollup.GetProperty("taskName").GetString());
        Assert.Equal("every 00:00:02", rollup.GetProperty("schedule").GetString());
        Assert.True(rollup.GetProperty("nextRun").GetDateTimeOffset() > rollup.GetProperty("lastRun").GetDateTimeOffset());
        var expire = Entry(schedules, "expire-unpaid-orders")!.Value;
        Assert.Equal("order_service.tasks.expire_unpaid_orders", expire.GetProperty("taskName").GetString());
        Assert.Equal("every 00:01:00", expire.GetProperty("schedule").GetString());
        Assert.NotNull(Entry(schedules, "retry-failed-notifications"));

        using var run = await op.PostAsync("/api/schedules/expire-unpaid-orders/run", ct);
        using var unknown = await op.PostAsync("/api/schedules/no-such-schedule/run", ct);

        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var id = (await run.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!;
        // It runs (an order worker expires unpaid orders) and the task list shows it under its name.
        await op.Tasks.GetResult(id).GetAsync(FlowTimeout, ct);
        await HttpPolling.UntilAsync(op.Http, "/api/tasks?name=order_service.tasks.expire_unpaid_orders&limit=200",
            r => r.GetProperty("tasks").EnumerateArray().Any(t => t.GetProperty("id").GetString() == id && t.GetProperty("state").GetString() == "SUCCESS"),
            FlowTimeout, ct);
        var after = await op.GetAsync("/api/schedules", ct);
        Assert.Equal(id, Entry(after, "expire-unpaid-orders")!.Value.GetProperty("manualRuns")[0].GetString());
    }

    [Fact]
    public async Task NewActions_RefuseAnonymousAndForgedRequests()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = ConsoleAccess.Client(fixture.App);
        using var signedIn = await ConsoleAccess.SignedInClientAsync(fixture.App, ct);
        var runsBefore = await ManualRunsAsync(signedIn, ct);

        foreach (var action in NewActions)
        {
            using var anonymousPost = await anonymous.PostAsync(new Uri(action, UriKind.Relative), Form(), ct);
            using var forged = await signedIn.PostAsync(new Uri(action, UriKind.Relative), Form(), ct);

            Assert.True(anonymousPost.StatusCode == HttpStatusCode.Unauthorized, $"{action} answered {(int)anonymousPost.StatusCode} to an anonymous request.");
            Assert.True(forged.StatusCode == HttpStatusCode.BadRequest, $"{action} answered {(int)forged.StatusCode} to a forged request.");
        }

        // Nothing ran: Run now sent no task.
        Assert.Equal(runsBefore, await ManualRunsAsync(signedIn, ct));
    }

    private static async Task<string> ManualRunsAsync(HttpClient client, CancellationToken ct)
    {
        var schedules = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/schedules", UriKind.Relative), ct);
        return Entry(schedules, "expire-unpaid-orders")?.GetProperty("manualRuns").GetRawText() ?? "[]";
    }

    [Fact]
    public async Task Pages_RenderForTheOperator_AndRedirectAnonymousToTheLogin()
    {
        var ct = TestContext.Current.CancellationToken;
        using var anonymous = ConsoleAccess.Client(fixture.App);
        using var signedIn = await ConsoleAccess.SignedInClientAsync(fixture.App, ct);

        foreach (var (path, marker) in new[] { ("/queues", "table class=\"grid queues\""), ("/dead-letters", "<h1>Dead letters</h1>"), ("/schedules", "table class=\"grid schedules\""), ("/", "Queue depths") })
        {
            using var page = await signedIn.GetAsync(new Uri(path, UriKind.Relative), ct);
            using var refused = await anonymous.GetAsync(new Uri(path, UriKind.Relative), ct);

            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains(marker, await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        }
    }

    [Fact]
    public async Task OpenApi_DescribesTheQueuesDeadLettersAndSchedulesApis()
    {
        var ct = TestContext.Current.CancellationToken;
        using var signedIn = await ConsoleAccess.SignedInClientAsync(fixture.App, ct);

        var document = await signedIn.GetFromJsonAsync<JsonElement>(new Uri("/openapi/v1.json", UriKind.Relative), ct);

        var paths = document.GetProperty("paths");
        foreach (var (path, method) in new[]
        {
            ("/api/queues", "get"), ("/api/queues/{queue}/purge", "post"),
            ("/api/dead-letters", "get"), ("/api/dead-letters/{id}/replay", "post"), ("/api/dead-letters/{id}/discard", "post"),
            ("/api/dead-letters/replay", "post"), ("/api/dead-letters/discard", "post"),
            ("/api/schedules", "get"), ("/api/schedules/{name}/run", "post"),
        })
        {
            Assert.True(paths.TryGetProperty(path, out var operations) && operations.TryGetProperty(method, out _), $"{method} {path} is not described.");
        }
    }

    [Fact]
    public void Dashboard_LinksEveryConsolePageByName()
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("console", out var console));

        var names = console.Snapshot.Urls.Select(u => u.DisplayProperties.DisplayName).ToList();

        foreach (var page in new[] { "Tasks", "Workflows", "Workers", "Queues", "Dead letters", "Schedules" })
        {
            Assert.Contains(page, names);
        }
    }

    private static async Task<JsonElement> WaitForDeadLettersAsync(ConsoleOperator op, IReadOnlyList<string> ids, CancellationToken ct) =>
        await HttpPolling.UntilAsync(op.Http, "/api/dead-letters?limit=500", r => ids.All(id => Count(r, id) == 1), FlowTimeout, ct);

    private static int Count(JsonElement letters, string id) =>
        letters.GetProperty("letters").EnumerateArray().Count(l => l.GetProperty("id").GetString() == id);

    private static long Ready(JsonElement report, string queue) =>
        report.GetProperty("queues").EnumerateArray().First(q => q.GetProperty("name").GetString() == queue).GetProperty("ready").GetInt64();

    private static JsonElement? Entry(JsonElement schedules, string name) =>
        schedules.GetProperty("entries").EnumerateArray().Cast<JsonElement?>().FirstOrDefault(e => e!.Value.GetProperty("name").GetString() == name);

    private static FormUrlEncodedContent Form() => new(new Dictionary<string, string> { ["id"] = "some-id", ["all"] = "true", ["returnUrl"] = "/" });
}
