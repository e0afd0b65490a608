using System.Net.Http.Json;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Diagnostics;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The console's actions run for real against the whole application: each is submitted through the form its page
/// renders (with the page's antiforgery token) and its effect is checked from outside the console, through Celery's
/// remote control replies or what the worker then does. Each test starts its own worker process (events on, its own
/// node name and queue), so terminating, reconfiguring or shutting it down leaves the application's workers alone.
/// That every action refuses anonymous and forged requests is <see cref="ConsoleSecurityTests"/>' job.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleActionsTests(AppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];
    private AppFleetClient? _fleet;
    private HttpClient? _console;
    private WorkerProcess? _worker;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private AppFleetClient Fleet => _fleet!;

    private HttpClient Console => _console!;

    private string Node => $"console-actions-{_suffix}@localhost";

    private string Queue => $"console-actions.{_suffix}";

    public async ValueTask InitializeAsync()
    {
        _fleet = await AppFleetClient.StartAsync(fixture.App, Token);
        _console = await ConsoleAccess.SignedInClientAsync(fixture.App, Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_worker is not null)
        {
            await _worker.DisposeAsync();
        }

        _console?.Dispose();
        if (_fleet is not null)
        {
            await _fleet.DisposeAsync();
        }
    }

    [Fact]
    public async Task Terminate_StopsTheRunningTask_WhichEndsRevokedOnItsWorker()
    {
        await StartWorkerAsync(concurrency: 1);
        var sleep = await Fleet.Tasks.SendAsync(DiagnosticTasks.Sleep, [JsonSerializer.SerializeToElement(600)],
            options: new TaskSendOptions { Queue = Queue }, cancellationToken: Token);
        var page = $"/tasks/{sleep.Id}";
        var terminate = $"/api/tasks/{sleep.Id}/terminate";
        // The page offers Terminate once the worker's task-started reached the index.
        await Eventually.UntilAsync(async () => await IndexedStateAsync(sleep.Id) == "STARTED", Wait, Token, TimeSpan.FromMilliseconds(300));
        Assert.Contains(sleep.Id, (await ActiveAsync()).Select(r => r.Id));

        var outcome = await PageForms.SubmitAsync(Console, page, terminate, null, Token);

        Assert.Equal($"notice: Terminated {sleep.Id}.", PageForms.Notice(outcome));
        Assert.Equal(page, outcome.OriginalString.Split('?')[0]);
        // The worker stopped the handler: nothing runs, the id is in its revoked list, the result says REVOKED.
        await Eventually.UntilAsync(async () => (await ActiveAsync()).Count == 0, Wait, Token, TimeSpan.FromMilliseconds(300));
        Assert.Contains(sleep.Id, Assert.Single(await Fleet.Control.RevokedAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node).Value!);
        var failure = await Assert.ThrowsAsync<TaskFailedException>(() => sleep.GetAsync(Wait, Token));
        Assert.Equal(TaskState.Revoked, failure.State);
        // The console shows it ended, and no longer offers to terminate it.
        await Eventually.UntilAsync(async () => await IndexedStateAsync(sleep.Id) == "REVOKED", Wait, Token, TimeSpan.FromMilliseconds(300));
        Assert.False(await PageForms.OffersAsync(Console, page, terminate, Token));
        // Its only slot is free again: the next task runs at once rather than after the ten-minute sleep.
        var echo = await Fleet.Tasks.SendAsync(DiagnosticTasks.Echo, [JsonSerializer.SerializeToElement("after terminate")],
            options: new TaskSendOptions { Queue = Queue }, cancellationToken: Token);
        Assert.Equal("after terminate", await echo.GetAsync<string>(Wait, Token));
    }

    [Fact]
    public async Task WorkerActions_GrowAndShrinkThePoolAddAndCancelAQueueSetARateLimitAndShutDown_AsTheWorkerReports()
    {
        await StartWorkerAsync(concurrency: 2);
        var extraQueue = $"console-actions.{_suffix}.extra";

        // Pool +1, then −1: the worker's stats report the concurrency the console set.
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/pool-grow"), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await ConcurrencyAsync() == 3, Wait, Token, TimeSpan.FromMilliseconds(300));
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/pool-shrink"), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => await ConcurrencyAsync() == 2, Wait, Token, TimeSpan.FromMilliseconds(300));

        // Add a queue: the worker lists it and runs what is sent there; cancel it: the worker stops consuming it.
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/add-consumer", new() { ["queue"] = extraQueue }), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => (await QueuesAsync()).Contains(extraQueue), Wait, Token, TimeSpan.FromMilliseconds(300));
        var viaExtra = await Fleet.Tasks.SendAsync(DiagnosticTasks.Echo, [JsonSerializer.SerializeToElement("via the added queue")],
            options: new TaskSendOptions { Queue = extraQueue }, cancellationToken: Token);
        Assert.Equal("via the added queue", await viaExtra.GetAsync<string>(Wait, Token));
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/cancel-consumer", new() { ["queue"] = extraQueue }), StringComparison.Ordinal);
        await Eventually.UntilAsync(async () => !(await QueuesAsync()).Contains(extraQueue), Wait, Token, TimeSpan.FromMilliseconds(300));
        Assert.Contains(Queue, await QueuesAsync());

        // A task's rate limit: the worker's registered tasks carry it, and an empty rate removes it.
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/rate-limit",
            new() { ["task"] = DiagnosticTasks.Echo, ["rate"] = "10/s" }), StringComparison.Ordinal);
        Assert.Contains($"{DiagnosticTasks.Echo} [rate_limit=10/s]", await RegisteredAsync());
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/rate-limit",
            new() { ["task"] = DiagnosticTasks.Echo, ["rate"] = string.Empty }), StringComparison.Ordinal);
        Assert.Contains(DiagnosticTasks.Echo, await RegisteredAsync());
        // A task the worker does not know is refused with the worker's reason, not reported as done.
        Assert.StartsWith("error:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/rate-limit",
            new() { ["task"] = "no.such.task", ["rate"] = "1/s" }), StringComparison.Ordinal);

        // Shut down: the process ends by itself, gracefully, and stops answering.
        Assert.StartsWith("notice:", await SubmitOnWorkersPageAsync($"/api/workers/{Node}/shutdown"), StringComparison.Ordinal);
        await _worker!.WaitForExitAsync(Wait, Token);
        Assert.Equal(0, _worker.ExitCode);
        Assert.DoesNotContain(await Fleet.Control.PingAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node);
    }

    private async Task StartWorkerAsync(int concurrency)
    {
        _worker = WorkerProcess.Start(Fleet.RabbitMqConnectionString, Fleet.RedisConnectionString, Queue, concurrency,
            $"--Worker:Hostname={Node}", "--Worker:Events=true");
        await Fleet.WaitForNodeAsync(Node, Token);
    }

    /// <summary>
    /// Submits one of the node's forms on the Workers page. The page lists a node once it answered inspect or sent a
    /// heartbeat, so a freshly started worker may take a moment to appear.
    /// </summary>
    private async Task<string> SubmitOnWorkersPageAsync(string action, Dictionary<string, string>? fields = null)
    {
        await Eventually.UntilAsync(() => PageForms.OffersAsync(Console, "/workers", action, Token), Wait, Token, TimeSpan.FromMilliseconds(500));
        var outcome = await PageForms.SubmitAsync(Console, "/workers", action, fields, Token);
        Assert.Equal("/workers", outcome.OriginalString.Split('?')[0]);
        return PageForms.Notice(outcome);
    }

    private async Task<string?> IndexedStateAsync(string id)
    {
        using var response = await Console.GetAsync(new Uri($"/api/tasks/{id}", UriKind.Relative), Token);
        return response.IsSuccessStatusCode
            ? (await response.Content.ReadFromJsonAsync<JsonElement>(Token)).GetProperty("state").GetString()
            : null;
    }

    private async Task<IReadOnlyList<global::Onboarding.TaskEngine.Control.TaskRequestInfo>> ActiveAsync() =>
        Assert.Single(await Fleet.Control.ActiveAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node).Value!;

    private async Task<int?> ConcurrencyAsync() =>
        Assert.Single(await Fleet.Control.StatsAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node).Value?.MaxConcurrency;

    private async Task<IReadOnlyList<string>> QueuesAsync() =>
        [.. Assert.Single(await Fleet.Control.ActiveQueuesAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node).Value!.Select(q => q.Name)];

    private async Task<IReadOnlyList<string>> RegisteredAsync() =>
        Assert.Single(await Fleet.Control.RegisteredAsync(AppFleetClient.Only(Node), Token), r => r.Node == Node).Value!;
}
