using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Execution;
using Onboarding.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The broker-side pages in a real browser (the machine's chromium, as <see cref="ConsoleBrowserTests"/> drives it):
/// an operator replays a dead letter after the fix is deployed, and the task runs; the Queues and Schedules pages
/// show the fleet. Screenshots go to TestResults/screenshots beside the test assembly.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleDeadLetterBrowserTests(AppFixture fixture) : IAsyncLifetime
{
    private const string GreetTask = "console_e2e.greet";
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    private ConsoleBrowser? _browser;

    public async ValueTask InitializeAsync()
    {
        _browser = await ConsoleBrowser.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    [Fact]
    public async Task Operator_ReplaysADeadLetterFromItsPage_AndTheTaskRuns()
    {
        var ct = TestContext.Current.CancellationToken;
        var queue = "console-e2e." + Guid.CreateVersion7().ToString("N")[^12..];
        await using var op = await ConsoleOperator.StartAsync(fixture.App, ct);

        // A worker of an old release consumes the queue without the task: the message is dead-lettered, not lost.
        string id;
        using (var oldRelease = await StartWorkerAsync(queue, withGreet: false, ct))
        {
            var sent = await op.Tasks.SendAsync(GreetTask, [JsonSerializer.SerializeToElement("Ada")],
                options: new TaskSendOptions { Queue = queue }, cancellationToken: ct);
            id = sent.Id;
            await HttpPolling.UntilAsync(op.Http, "/api/dead-letters?limit=500",
                r => r.GetProperty("letters").EnumerateArray().Any(l => l.GetProperty("id").GetString() == id), FlowTimeout, ct);
            await oldRelease.StopAsync(ct);
        }

        // The fixed release is deployed; the operator replays the message from the Dead letters page.
        using var fixedRelease = await StartWorkerAsync(queue, withGreet: true, ct);
        var (browserContext, page) = await _browser!.NewPageAsync(fixture.App, FlowTimeout);
        await using var context = browserContext;
        var asked = new List<string>();
        page.Dialog += async (_, dialog) =>
        {
            asked.Add(dialog.Message);
            await dialog.AcceptAsync();
        };

        await page.GotoAsync($"/login?t={Uri.EscapeDataString(await ConsoleAccess.PasswordAsync(fixture.App, ct))}");
        await page.GotoAsync("/dead-letters");
        var row = page.Locator($"tr.dead-letter[data-id='{id}']");
        await Expect(row).ToContainTextAsync(GreetTask);
        await Expect(row).ToContainTextAsync("not-registered");
        await Expect(row).ToContainTextAsync(queue);
        await ShotAsync(page, "dead-letters");

        await row.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

        await Expect(page.Locator(".flash.ok")).ToContainTextAsync($"Replayed {id}");
        Assert.Contains(asked, message => message.StartsWith($"Replay {GreetTask}", StringComparison.Ordinal));
        Assert.Equal("Hello, Ada", (await op.Tasks.GetResult(id).GetAsync(FlowTimeout, ct)).GetString());
        await Expect(page.Locator($"tr.dead-letter[data-id='{id}']")).ToHaveCountAsync(0);
        // The task page shows the run (the fixed worker sends task events).
        await page.GotoAsync($"/tasks/{id}");
        await Expect(page.Locator("h1 .state")).ToHaveTextAsync("SUCCESS");

        // The queues, with the depths the broker gives and what it cannot; the schedules with their lease holder.
        await page.GotoAsync("/queues");
        await Expect(page.Locator("tr[data-queue='user_queue'] td.consumers")).Not.ToHaveTextAsync("0");
        await Expect(page.Locator(".card.note")).ToContainTextAsync("rates");
        await ShotAsync(page, "queues");
        await page.GotoAsync("/schedules");
        await Expect(page.Locator(".lease-holder")).ToContainTextAsync("-worker@");
        await Expect(page.Locator("tr[data-schedule='registration-stats-rollup'] .last-run")).Not.ToHaveTextAsync("—");
        await ShotAsync(page, "schedules");
    }

    /// <summary>A worker on the queue, sending task events; with or without the greeting task.</summary>
    private async Task<IHost> StartWorkerAsync(string queue, bool withGreet, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = await fixture.App.GetConnectionStringAsync("rabbitmq", ct),
            ["ConnectionStrings:redis"] = await fixture.App.GetConnectionStringAsync("redis", ct),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var engine = builder.AddTaskEngine(configure: o => o.SendSentEvents = true);
        if (withGreet)
        {
            engine.AddTask<GreetArgs, GreetHandler>(GreetTask);
        }

        engine.AddTaskWorker(o =>
        {
            o.Queues = queue;
            o.Concurrency = 1;
            o.Hostname = $"{queue}-{(withGreet ? "fixed" : "old")}@%h";
            o.Events = true;
            o.ShutdownGracePeriod = TimeSpan.FromSeconds(2);
        });
        var host = builder.Build();
        await host.StartAsync(ct);
        await host.Services.GetRequiredService<TaskWorkerService>().Started.WaitAsync(FlowTimeout, ct);
        return host;
    }

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ConsoleBrowser.Screenshots, name + ".png"), FullPage = true });

    internal sealed record GreetArgs(string Name);

    internal sealed class GreetHandler : ITaskHandler<GreetArgs>
    {
        public ValueTask<object?> HandleAsync(GreetArgs args, TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult<object?>($"Hello, {args.Name}");
    }
}
