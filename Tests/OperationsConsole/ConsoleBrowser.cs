using Aspire.Hosting;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The machine's chromium (Debian's, never a downloaded browser) driven by Playwright, opening pages on the console of
/// the whole application: what every console browser test starts from. Screenshots go to TestResults/screenshots
/// beside the test assembly.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    public static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    private const string Chromium = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"{Chromium} is missing: run scripts/install-prerequisites.sh --tests.");
        }

        Directory.CreateDirectory(Screenshots);
        var playwright = await Playwright.CreateAsync();
        try
        {
            // Test machines run as root, where chromium's sandbox cannot start.
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Chromium,
                Headless = true,
                Args = ["--no-sandbox"],
            });
            return new ConsoleBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A page in a fresh context on the console's address. Actions and expectations wait as long as the flow may take
    /// (Playwright's own default is 5 s).
    /// </summary>
    public async Task<(IBrowserContext Context, IPage Page)> NewPageAsync(DistributedApplication app, TimeSpan flowTimeout)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = ConsoleAccess.BaseAddress(app).ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout((float)flowTimeout.TotalMilliseconds);
        SetDefaultExpectTimeout((float)flowTimeout.TotalMilliseconds);
        return (context, page);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
