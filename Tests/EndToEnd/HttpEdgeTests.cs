using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Onboarding.ServiceDefaults.HttpApi;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.EndToEnd;

/// <summary>
/// What a client meets at the services' HTTP edge, through the real AppHost: every 4xx is problem details, a JSON
/// type or syntax error names its field, ids are GUIDs (malformed 400, unknown 404), free text is bounded.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class HttpEdgeTests(AppFixture fixture)
{
    private const string UnknownId = "0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f";

    public static TheoryData<string, string, string, string, string> JsonErrors => new()
    {
        // resource, method, path, body, the field the answer must name
        { "orderservice", "POST", "/api/tax/calculate", """{"country":"US","subtotal":"abc"}""", "subtotal" },
        { "orderservice", "POST", "/api/orders", """{"items":[{"productId":"sku-mouse","quantity":"two"}]}""", "items[0].quantity" },
        { "orderservice", "POST", "/api/payments", """{"orderId":"o","amount":true}""", "amount" },
        { "orderservice", "POST", "/api/payments/simulate-outage", """{"calls":1.5}""", "calls" },
        { "orderservice", "PUT", $"/api/orders/{UnknownId}/charges", """{"fraudScore":"high"}""", "fraudScore" },
        { "userservice", "POST", "/api/users", """{"email":42}""", "email" },
        { "userservice", "PUT", $"/api/users/{UnknownId}", """{"firstName":["Ada"]}""", "firstName" },
        { "userservice", "POST", "/api/users/login", """{"email":"a@b.co","password":""", "password" },
        { "notificationservice", "POST", "/api/notifications/batch", """{"recipients":"a@b.co"}""", "recipients" },
        { "notificationservice", "PUT", $"/api/notifications/preferences/{UnknownId}", """{"marketing":"yes"}""", "marketing" },
    };

    [Theory]
    [MemberData(nameof(JsonErrors))]
    public async Task Endpoint_Answers400NamingTheField_ForAJsonTypeOrSyntaxError(string resource, string method, string path, string body, string field)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fixture.App.CreateHttpClient(resource);

        using var response = await SendAsync(http, method, path, body, ct);

        var problem = await ReadProblemAsync(response, HttpStatusCode.BadRequest, ct);
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error for {field}: {problem}");
        // A syntax error is named at the path where the JSON broke; a type error says what the field takes.
        Assert.StartsWith(IsJson(body) ? "Expected " : "The body is not valid JSON", messages[0].GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> IdRoutes => new()
    {
        // resource, method, path with {id} for the id
        { "userservice", "GET", "/api/users/{id}" },
        { "userservice", "PUT", "/api/users/{id}" },
        { "userservice", "DELETE", "/api/users/{id}" },
        { "userservice", "POST", "/api/users/{id}/password" },
        { "userservice", "GET", "/api/users/{id}/onboarding" },
        { "userservice", "POST", "/api/users/{id}/onboarding/steps/send_welcome_email" },
        { "userservice", "PUT", "/api/users/{id}/role" },
        { "orderservice", "GET", "/api/orders/{id}" },
        { "orderservice", "GET", "/api/orders/{id}/workflow" },
        { "orderservice", "POST", "/api/orders/{id}/fulfillment" },
        { "orderservice", "POST", "/api/orders/{id}/status" },
        { "orderservice", "PUT", "/api/orders/{id}/charges" },
        { "orderservice", "GET", "/api/inventory/reservations/{id}" },
        { "orderservice", "DELETE", "/api/inventory/reservations/{id}" },
        { "orderservice", "GET", "/api/payments/{id}" },
        { "notificationservice", "GET", "/api/notifications/{id}" },
        { "notificationservice", "GET", "/api/notifications/batch/{id}" },
        { "notificationservice", "GET", "/api/notifications/preferences/{id}" },
        { "notificationservice", "PUT", "/api/notifications/preferences/{id}" },
    };

    /// <summary>A valid body for the routes that take one, so the answer is about the id alone.</summary>
    private static string? BodyFor(string method, string path) => (method, path) switch
    {
        ("PUT", "/api/users/{id}") => """{"firstName":"Ada"}""",
        ("POST", "/api/users/{id}/password") => """{"currentPassword":"Analytical1","newPassword":"Analytical2"}""",
        ("PUT", "/api/users/{id}/role") => """{"role":"user"}""",
        ("POST", "/api/orders/{id}/status") => """{"status":"processing"}""",
        ("PUT", "/api/orders/{id}/charges") => """{"shipping":1}""",
        ("PUT", "/api/notifications/preferences/{id}") => """{"marketing":true}""",
        _ => null,
    };

    [Theory]
    [MemberData(nameof(IdRoutes))]
    public async Task Route_Answers400ForAMalformedId_And404ForAnUnknownOne(string resource, string method, string path)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fixture.App.CreateHttpClient(resource);
        var body = BodyFor(method, path);

        using var malformed = await SendAsync(http, method, path.Replace("{id}", "not-a-guid", StringComparison.Ordinal), body, ct);
        using var unknown = await SendAsync(http, method, path.Replace("{id}", UnknownId, StringComparison.Ordinal), body, ct);

        var problem = await ReadProblemAsync(malformed, HttpStatusCode.BadRequest, ct);
        var error = Assert.Single(problem.GetProperty("errors").EnumerateObject());
        Assert.True(ResourceIds.IsIdName(error.Name), $"the error names {error.Name}, not the id");
        await ReadProblemAsync(unknown, HttpStatusCode.NotFound, ct);
    }

    [Fact]
    public async Task Services_AnswerProblemDetails_ForEveryClientError()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");

        using var noRoute = await orders.GetAsync("/api/nothing-here", ct);
        await ReadProblemAsync(noRoute, HttpStatusCode.NotFound, ct);
        using var wrongMethod = await orders.DeleteAsync("/api/products", ct);
        await ReadProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed, ct);
        using var notJson = await orders.PostAsync("/api/tax/calculate", new StringContent("country=US", Encoding.UTF8, "text/plain"), ct);
        await ReadProblemAsync(notJson, HttpStatusCode.UnsupportedMediaType, ct);
        // Sent as curl sends a body over 1 MB, asking to continue first: refused on its headers, the body never goes out.
        // Without it the server may close while the client still writes, and the client sees a broken pipe, not the 413.
        using var hugeRequest = new HttpRequestMessage(HttpMethod.Post, "/api/payments")
        {
            Content = new StringContent($$"""{"orderId":"{{new string('x', 2 * 1024 * 1024)}}"}""", Encoding.UTF8, "application/json"),
        };
        hugeRequest.Headers.ExpectContinue = true;
        using var huge = await orders.SendAsync(hugeRequest, ct);
        await ReadProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge, ct);
    }

    [Fact]
    public async Task Endpoints_RefuseOverlongFreeText_AndStateTheRealBounds()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var longText = new string('x', 100_000);

        using var reservation = await orders.PostAsJsonAsync("/api/inventory/reservations",
            new { orderId = longText, items = new[] { new { productId = "sku-mouse", quantity = 1 } } }, ct);
        Assert.True((await ReadProblemAsync(reservation, HttpStatusCode.BadRequest, ct)).GetProperty("errors").TryGetProperty("orderId", out _));

        using var payment = await orders.PostAsJsonAsync("/api/payments", new { orderId = UnknownId, amount = 1e12m, cardLast4 = "4242" }, ct);
        var amount = (await ReadProblemAsync(payment, HttpStatusCode.BadRequest, ct)).GetProperty("errors").GetProperty("amount")[0].GetString();
        Assert.Contains("at most 100000000", amount, StringComparison.Ordinal);

        using var status = await orders.PostAsJsonAsync($"/api/orders/{UnknownId}/status", new { status = "failed", reason = longText }, ct);
        Assert.True((await ReadProblemAsync(status, HttpStatusCode.BadRequest, ct)).GetProperty("errors").TryGetProperty("reason", out _));

        using var email = await notifications.PostAsJsonAsync("/api/notifications/email",
            new { recipient = "a@b.co", subject = "s", body = "b", idempotencyKey = longText }, ct);
        Assert.True((await ReadProblemAsync(email, HttpStatusCode.BadRequest, ct)).GetProperty("errors").TryGetProperty("idempotencyKey", out _));
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string method, string path, string? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await http.SendAsync(request, ct);
    }

    private static async Task<JsonElement> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.Clone();
    }
}
