using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// The console purges queues and kills tasks: nothing but the login and health answers without a session, and no
/// action runs without its antiforgery token. Every action is taken from the console's own OpenAPI document, so a new
/// action is covered without touching this test.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ConsoleSecurityTests(AppFixture fixture)
{
    [Theory]
    [InlineData("/")]
    [InlineData("/tasks")]
    [InlineData("/workers")]
    [InlineData("/workflows")]
    public async Task Pages_RedirectToLogin_WhenAnonymous(string path)
    {
        using var client = ConsoleAccess.Client(fixture.App);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.AbsolutePath, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_Answers401_WhenAnonymous()
    {
        using var client = ConsoleAccess.Client(fixture.App);

        using var tasks = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative), TestContext.Current.CancellationToken);
        using var document = await client.GetAsync(new Uri("/openapi/v1.json", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, tasks.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, document.StatusCode);
    }

    [Fact]
    public async Task Login_RefusesAWrongPassword_AndAcceptsTheLoginLink()
    {
        var ct = TestContext.Current.CancellationToken;
        var password = await ConsoleAccess.PasswordAsync(fixture.App, ct);
        using var client = ConsoleAccess.Client(fixture.App);

        using var wrong = await client.GetAsync(new Uri("/login?t=not-the-password", UriKind.Relative), ct);
        using var stillAnonymous = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative), ct);
        using var link = await client.GetAsync(new Uri($"/login?t={Uri.EscapeDataString(password)}", UriKind.Relative), ct);
        using var signedIn = await client.GetAsync(new Uri("/api/tasks", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, stillAnonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, link.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
    }

    [Fact]
    public async Task EveryAction_RefusesAnonymousAndForgedRequests_AndRunsWithItsToken()
    {
        var ct = TestContext.Current.CancellationToken;
        using var operatorClient = await ConsoleAccess.SignedInClientAsync(fixture.App, ct);
        using var document = await operatorClient.GetFromJsonAsync<JsonDocument>(new Uri("/openapi/v1.json", UriKind.Relative), ct);
        var actions = document!.RootElement.GetProperty("paths").EnumerateObject()
            .Where(path => path.Value.TryGetProperty("post", out _))
            .Select(path => path.Name.Replace("{id}", "no-such-task", StringComparison.Ordinal).Replace("{node}", "celery@nowhere", StringComparison.Ordinal))
            .ToList();
        Assert.Contains("/api/tasks/no-such-task/revoke", actions);
        Assert.Contains("/api/tasks/no-such-task/retry", actions);
        Assert.Contains("/api/workers/celery@nowhere/shutdown", actions);
        using var anonymous = ConsoleAccess.Client(fixture.App);

        foreach (var action in actions.Append("/logout"))
        {
            using var anonymousPost = await anonymous.PostAsync(new Uri(action, UriKind.Relative), Form(), ct);
            using var forged = await operatorClient.PostAsync(new Uri(action, UriKind.Relative), Form(), ct);

            // The API answers 401; a page's form handler sends the browser to the login.
            Assert.True(anonymousPost.StatusCode is HttpStatusCode.Unauthorized
                || (anonymousPost.StatusCode == HttpStatusCode.Redirect && anonymousPost.Headers.Location!.AbsolutePath == "/login"),
                $"{action} answered {(int)anonymousPost.StatusCode} to an anonymous request.");
            Assert.True(forged.StatusCode == HttpStatusCode.BadRequest, $"{action} answered {(int)forged.StatusCode} to a forged request.");
        }

        // With the token the same session acts: the retry of an unknown task is a 404, not a refusal.
        var token = await operatorClient.GetFromJsonAsync<JsonElement>(new Uri("/api/antiforgery", UriKind.Relative), ct);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/api/tasks/no-such-task/retry", UriKind.Relative));
        request.Headers.Add(token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString());
        using var genuine = await operatorClient.SendAsync(request, ct);
        Assert.Equal(HttpStatusCode.NotFound, genuine.StatusCode);
    }

    private static FormUrlEncodedContent Form() => new(new Dictionary<string, string> { ["queue"] = "q", ["task"] = "t", ["rate"] = "1/s", ["returnUrl"] = "/" });
}
