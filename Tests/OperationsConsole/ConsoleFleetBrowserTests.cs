using Microsoft.Playwright;
using Onboarding.Tests.Infrastructure;
using Onboarding.Tests.Interop;
using static Microsoft.Playwright.Assertions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The Workers page of the whole application in a real browser (the machine's chromium through Playwright), with a
/// mixed fleet: the application's three .NET workers and a real Celery 5.2 worker (Debian's) started beside them on
/// the application's broker and Redis with events on (<c>-E</c>). The screenshot goes where the other console
/// screenshots go (TestResults/screenshots beside the test assembly).
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleFleetBrowserTests(AppFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(120);
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..8];

    private ConsoleBrowser? _browser;
    private PythonCeleryWorker? _celery;

    private string PythonNode => $"py-console-{_suffix}@localhost";

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var environment = PythonCelery.Environment(
            await fixture.App.GetConnectionStringAsync("rabbitmq", ct) ?? throw new InvalidOperationException("No rabbitmq connection string."),
            await fixture.App.GetConnectionStringAsync("redis", ct) ?? throw new InvalidOperationException("No redis connection string."));
        _celery = await PythonCeleryWorker.StartAsync(environment, $"console-py.{_suffix}", ct, PythonNode, events: true);

        _browser = await ConsoleBrowser.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
        if (_celery is not null)
        {
            await _celery.DisposeAsync();
        }
    }

    [Fact]
    public async Task WorkersPage_ListsTheThreeDotNetWorkers_AndAPythonCeleryWorkerBesideThem()
    {
        var ct = TestContext.Current.CancellationToken;
        var (browserContext, page) = await _browser!.NewPageAsync(fixture.App, FlowTimeout);
        await using var context = browserContext;
        // The login link the AppHost prints signs the browser in.
        await page.GotoAsync($"/login?t={Uri.EscapeDataString(await ConsoleAccess.PasswordAsync(fixture.App, ct))}");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();

        // The page is rendered from one round of inspect plus the heartbeats: reload until the Celery worker's first
        // heartbeat and reply are in.
        var python = page.Locator($"section.worker[data-node='{PythonNode}']");
        await Eventually.UntilAsync(async () =>
        {
            await page.GotoAsync("/workers");
            return await python.Locator(".dot.on").CountAsync() == 1 && await python.Locator("li", new() { HasText = "console-py." + _suffix }).CountAsync() == 1;
        }, FlowTimeout, ct, TimeSpan.FromSeconds(1));

        foreach (var worker in new[] { "user-worker@", "order-worker@", "notification-worker@" })
        {
            await Expect(page.Locator($"section.worker[data-node^='{worker}'] .dot.on")).ToHaveCountAsync(1);
        }

        // What Celery itself reported: its software from the heartbeat, its pool of two threads, its own tasks.
        await Expect(python).ToContainTextAsync("py-celery");
        await Expect(python.Locator(".stats div", new() { HasText = "Concurrency" }).Locator("b")).ToHaveTextAsync("2");
        await Expect(python.Locator("details")).ToContainTextAsync("diagnostics.echo");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleBrowser.Screenshots, "workers-with-celery.png"), FullPage = true });
    }
}
