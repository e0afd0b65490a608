using System.Net;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>Reaching the running console: its address, its password, and a signed-in HTTP client.</summary>
internal static partial class ConsoleAccess
{
    public static Uri BaseAddress(DistributedApplication app) => app.GetEndpoint("console", "http");

    /// <summary>The generated <c>console-password</c> parameter, as an operator reads it from the dashboard.</summary>
    public static async Task<string> PasswordAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == "console-password");
        return await parameter.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException("The console password has no value.");
    }

    /// <summary>A client that keeps cookies and does not follow redirects, so tests see what the console answers.</summary>
    public static HttpClient Client(DistributedApplication app, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true })
        {
            BaseAddress = BaseAddress(app),
        };

    /// <summary>Signs in through the login form (with its antiforgery token) and returns the signed-in client.</summary>
    public static async Task<HttpClient> SignedInClientAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var client = Client(app);
        var form = await client.GetStringAsync(new Uri("/login", UriKind.Relative), cancellationToken);
        var token = AntiforgeryField().Match(form).Groups[1].Value;
        using var login = await client.PostAsync(new Uri("/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["password"] = await PasswordAsync(app, cancellationToken),
            ["__RequestVerificationToken"] = token,
        }), cancellationToken);
        if (login.StatusCode != HttpStatusCode.Redirect)
        {
            throw new InvalidOperationException($"Login answered {(int)login.StatusCode}.");
        }

        return client;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
