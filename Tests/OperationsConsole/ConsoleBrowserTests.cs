using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Onboarding.Contracts;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The console in a real browser (the machine's chromium through Playwright) against the whole application, as an
/// operator uses it. Each step saves a screenshot under TestResults/screenshots beside the test assembly.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleBrowserTests(AppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(120);

    private ConsoleBrowser? _browser;
    private IHost? _client;

    public async ValueTask InitializeAsync()
    {
        _browser = await ConsoleBrowser.LaunchAsync();

        // A client of the application's broker and Redis that sends task-sent events, as the services do.
        var ct = TestContext.Current.CancellationToken;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = await fixture.App.GetConnectionStringAsync("rabbitmq", ct),
            ["ConnectionStrings:redis"] = await fixture.App.GetConnectionStringAsync("redis", ct),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTaskEngine(configure: o => o.SendSentEvents = true).WithDefaultRoutes(TaskRoutes.Seed);
        _client = builder.Build();
        await _client.StartAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(CancellationToken.None);
            _client.Dispose();
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    private ITaskClient Tasks => _client!.Services.GetRequiredService<ITaskClient>();

    [Fact]
    public async Task Operator_FollowsOnboardingRetriesAFailureRevokesACountdownAndSeesTheWorkers()
    {
        var ct = TestContext.Current.CancellationToken;
        var (browserContext, page) = await _browser!.NewPageAsync(fixture.App, FlowTimeout);
        await using var context = browserContext;
        // Every destructive action asks first; the operator says yes.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();

        // Log in.
        await page.GotoAsync("/tasks");
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#password", await ConsoleAccess.PasswordAsync(fixture.App, ct));
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Tasks" })).ToBeVisibleAsync();
        await ShotAsync(page, "login-then-tasks");

        // A user signs up; the onboarding tree fills in live until its 8 steps succeeded.
        using var users = fixture.App.CreateHttpClient("userservice");
        using var created = await users.PostAsJsonAsync("/api/users",
            new { email = $"ada.{Guid.NewGuid():N}@example.com", firstName = "Ada", lastName = "Lovelace", password = "Analytical1" }, ct);
        created.EnsureSuccessStatusCode();
        var onboardingId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("onboardingTaskId").GetString()!;
        await page.GotoAsync($"/workflows/{onboardingId}");
        await Expect(page.Locator(".node-box:not(.group) .state-success")).ToHaveCountAsync(8);
        await ShotAsync(page, "workflow");

        // A failing task shows its exception and traceback; Retry sends it again, linked to the original.
        var failing = await Tasks.SendAsync("diagnostics.fail", kwargs: new Dictionary<string, JsonElement>
        {
            ["message"] = JsonSerializer.SerializeToElement("console e2e failure"),
        }, cancellationToken: ct);
        await GotoWhenIndexedAsync(page, $"/tasks/{failing.Id}");
        await Expect(page.Locator("pre.traceback")).ToBeVisibleAsync();
        await Expect(page.Locator("pre.exception")).ToContainTextAsync("console e2e failure");
        await ShotAsync(page, "task-failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Sent again as");
        var retriedHref = await page.Locator("a.retried-as").First.GetAttributeAsync("href");
        Assert.NotNull(retriedHref);
        await GotoWhenIndexedAsync(page, retriedHref);
        // It ran again: a worker started it and it failed the same way, as a child of the original.
        await Expect(page.Locator("h1 .state")).ToHaveTextAsync("FAILURE");
        await Expect(page.Locator(".timeline")).ToContainTextAsync("started");
        await Expect(page.Locator("dl.props")).ToContainTextAsync(failing.Id);
        await Expect(page.Locator("dl.props")).ToContainTextAsync("console e2e failure");
        Assert.Equal(TaskState.Failure, await Tasks.GetResult(retriedHref.Split('/')[^1]).GetStateAsync(ct));

        // A countdown task revoked from its page never runs.
        var countdown = await Tasks.SendAsync("diagnostics.echo", kwargs: new Dictionary<string, JsonElement>
        {
            ["value"] = JsonSerializer.SerializeToElement("must never run"),
        }, options: new TaskSendOptions { Countdown = TimeSpan.FromSeconds(8) }, cancellationToken: ct);
        await GotoWhenIndexedAsync(page, $"/tasks/{countdown.Id}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
        await Expect(page.Locator(".flash.ok")).ToContainTextAsync("Revoked");
        await Expect(page.Locator("h1 .state")).ToHaveTextAsync("REVOKED");
        await ShotAsync(page, "task-revoked");
        await Expect(page.Locator(".timeline")).Not.ToContainTextAsync("started");
        Assert.Equal(TaskState.Revoked, await Tasks.GetResult(countdown.Id).GetStateAsync(ct));

        // The task list finds them by argument text.
        await page.GotoAsync("/tasks?q=console+e2e+failure");
        await Expect(page.Locator("table.grid tbody a.task-link")).ToHaveCountAsync(2);
        await page.GotoAsync("/tasks");
        await ShotAsync(page, "tasks");

        // The workers page lists the three workers, each answering remote control.
        await page.GotoAsync("/workers");
        foreach (var worker in new[] { "user-worker@", "order-worker@", "notification-worker@" })
        {
            await Expect(page.Locator($"section.worker[data-node^='{worker}'] .dot.on")).ToHaveCountAsync(1);
        }

        await ShotAsync(page, "workers");
        await page.GotoAsync("/");
        await Expect(page.Locator(".tile").First).ToBeVisibleAsync();
        await ShotAsync(page, "overview");
    }

    /// <summary>Opens a task's page once its first event reached the index (events are asynchronous).</summary>
    private static async Task GotoWhenIndexedAsync(IPage page, string path) =>
        await Eventually.UntilAsync(async () => (await page.GotoAsync(path))?.Status == 200, FlowTimeout, TestContext.Current.CancellationToken,
            TimeSpan.FromMilliseconds(500));

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleBrowser.Screenshots, name + ".png"), FullPage = true });
}
