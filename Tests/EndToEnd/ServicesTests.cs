using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.Contracts.Http;
using Onboarding.Tests.Infrastructure;

namespace Onboarding.Tests.EndToEnd;

/// <summary>
/// The services and workers through the real AppHost: each flow goes request → task on the broker → worker →
/// service API over service discovery, as a user of the app sees it.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ServicesTests(AppFixture fixture)
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task CreateUser_Answers202AndCompletesOnboarding_WhenInputIsValid()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        var email = $"ada.{Guid.NewGuid():N}@example.com";

        using var created = await users.PostAsJsonAsync("/api/users",
            new { email, firstName = "Ada", lastName = "Lovelace", password = "Analytical1" }, ct);

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var body = await ReadJsonAsync(created, ct);
        var userId = body.GetProperty("user").GetProperty("id").GetString()!;
        Assert.False(string.IsNullOrEmpty(body.GetProperty("onboardingTaskId").GetString()));
        Assert.Equal($"/api/users/{userId}/onboarding", body.GetProperty("statusUrl").GetString());
        Assert.False(body.GetProperty("user").TryGetProperty("passwordHash", out _));

        var user = await users.GetFromJsonAsync<UserResponse>($"/api/users/{userId}", ct);
        Assert.Equal(email, user!.Email);

        var onboarding = await PollAsync(users, $"/api/users/{userId}/onboarding",
            o => o.GetProperty("state").GetString() is "SUCCESS" or "FAILURE", ct);
        Assert.Equal("SUCCESS", onboarding.GetProperty("state").GetString());
        Assert.Equal(8, onboarding.GetProperty("steps").GetArrayLength());
        Assert.All(onboarding.GetProperty("steps").EnumerateArray(), s => Assert.Equal("SUCCESS", s.GetProperty("state").GetString()));
        Assert.Equal(UserStatuses.Active, onboarding.GetProperty("userStatus").GetString());

        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var outbox = await notifications.GetFromJsonAsync<List<NotificationResponse>>($"/api/notifications?recipient={Uri.EscapeDataString(email)}", ct);
        Assert.Single(outbox!, n => n.Subject.StartsWith("Welcome", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UsersApi_Answers409And404And401_ForConflictsUnknownIdsAndBadCredentials()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        var email = $"grace.{Guid.NewGuid():N}@example.com";
        var request = new { email, firstName = "Grace", lastName = "Hopper", password = "Cobol1959x" };
        using var first = await users.PostAsJsonAsync("/api/users", request, ct);
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var userId = (await ReadJsonAsync(first, ct)).GetProperty("user").GetProperty("id").GetString()!;

        using var duplicate = await users.PostAsJsonAsync("/api/users", request with { email = email.ToUpperInvariant() }, ct);
        await AssertProblemAsync(duplicate, HttpStatusCode.Conflict, ct);

        using var unknown = await users.GetAsync($"/api/users/{Guid.NewGuid()}", ct);
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, ct);

        using var badLogin = await users.PostAsJsonAsync("/api/users/login", new { email, password = "Wrong12345" }, ct);
        await AssertProblemAsync(badLogin, HttpStatusCode.Unauthorized, ct);

        using var login = await users.PostAsJsonAsync("/api/users/login", new { email, password = "Cobol1959x" }, ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Equal(1, (await ReadJsonAsync(login, ct)).GetProperty("loginCount").GetInt32());

        using var deleted = await users.DeleteAsync($"/api/users/{userId}", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var deletedAgain = await users.DeleteAsync($"/api/users/{userId}", ct);
        await AssertProblemAsync(deletedAgain, HttpStatusCode.NotFound, ct);
    }

    [Fact]
    public async Task DeletedUser_HasNothingKept_WhenAnEmailOrEventForThemArrivesAfterTheCleanUp()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var email = $"alan.{Guid.NewGuid():N}@example.com";
        using var created = await users.PostAsJsonAsync("/api/users",
            new { email, firstName = "Alan", lastName = "Turing", password = "Enigma1936x" }, ct);
        var userId = (await ReadJsonAsync(created, ct)).GetProperty("user").GetProperty("id").GetString()!;
        await PollAsync(users, $"/api/users/{userId}/onboarding", o => o.GetProperty("state").GetString() == "SUCCESS", ct);

        using var deleted = await users.DeleteAsync($"/api/users/{userId}", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        // NotificationService's clean-up (user.deleted) has run once the user's preferences are gone.
        await Eventually.UntilAsync(async () =>
        {
            using var preferences = await notifications.GetAsync($"/api/notifications/preferences/{userId}", ct);
            return preferences.StatusCode == HttpStatusCode.NotFound;
        }, FlowTimeout, ct);

        // An order email still on its way (a retried task), and a late onboarding step: nothing is kept for the user.
        using var late = await notifications.PostAsJsonAsync("/api/notifications/email", new SendEmailRequest(
            email, "Your order: confirmation", "Order is confirmed.", "orders", Guid.NewGuid().ToString(), userId), ct);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal(NotificationStatuses.Skipped, (await late.Content.ReadFromJsonAsync<NotificationResponse>(ct))!.Status);
        using var ensured = await notifications.PostAsync($"/api/notifications/preferences/{userId}", null, ct);
        Assert.Equal(HttpStatusCode.OK, ensured.StatusCode);

        Assert.Empty((await notifications.GetFromJsonAsync<List<NotificationResponse>>(
            $"/api/notifications?recipient={Uri.EscapeDataString(email)}", ct))!);
        using var preferences = await notifications.GetAsync($"/api/notifications/preferences/{userId}", ct);
        Assert.Equal(HttpStatusCode.NotFound, preferences.StatusCode);
    }

    public static TheoryData<string, string, string, string?> BadRequests => new()
    {
        // resource, method, path, body ("!" = malformed JSON)
        { "userservice", "POST", "/api/users", "{}" },
        { "userservice", "POST", "/api/users", "!" },
        { "userservice", "POST", "/api/users", """{"email":"not-an-email","firstName":"A","lastName":"B","password":"short"}""" },
        { "userservice", "POST", "/api/users", """{"email":42}""" },
        { "userservice", "POST", "/api/users", "[]" },
        { "userservice", "PUT", "/api/users/x", "{}" },
        { "userservice", "PUT", "/api/users/x", "!" },
        { "userservice", "POST", "/api/users/x/password", """{"currentPassword":"","newPassword":"x"}""" },
        { "userservice", "POST", "/api/users/login", "{}" },
        { "userservice", "POST", "/api/users/login", "!" },
        { "userservice", "GET", "/api/users?take=0", null },
        { "userservice", "GET", "/api/users?take=abc", null },
        { "userservice", "POST", "/api/users/x/onboarding/steps/nope", null },
        { "userservice", "PUT", "/api/users/x/role", """{"role":"emperor"}""" },
        { "orderservice", "POST", "/api/orders", "{}" },
        { "orderservice", "POST", "/api/orders", "!" },
        { "orderservice", "POST", "/api/orders", """{"userId":"u","customerEmail":"a@b.co","items":[{"productId":"nope","quantity":0}],"shippingAddress":{"street":"s","city":"c","postalCode":"1","country":"usa"},"paymentMethod":{"cardNumber":"12","expiryMonth":13,"expiryYear":1}}""" },
        { "orderservice", "POST", "/api/orders", """{"items":[null]}""" },
        { "orderservice", "GET", "/api/orders?status=lost", null },
        { "orderservice", "POST", "/api/orders/x/status", """{"status":"teleported"}""" },
        { "orderservice", "PUT", "/api/orders/x/charges", "{}" },
        { "orderservice", "POST", "/api/inventory/reservations", """{"orderId":"o","items":[]}""" },
        { "orderservice", "POST", "/api/shipping/quotes", """{"country":"X","itemCount":0}""" },
        { "orderservice", "POST", "/api/shipping/address-validation", "{}" },
        { "orderservice", "POST", "/api/tax/calculate", """{"country":"de","subtotal":1}""" },
        { "orderservice", "POST", "/api/payments", """{"orderId":"","amount":-1,"cardLast4":"12x4"}""" },
        { "orderservice", "POST", "/api/payments", "!" },
        { "orderservice", "POST", "/api/payments/simulate-outage", """{"calls":-1}""" },
        { "orderservice", "POST", "/api/fraud/score", "{}" },
        { "orderservice", "POST", "/api/user-updated", "{}" },
        { "notificationservice", "POST", "/api/notifications/email", """{"recipient":"nobody","subject":"","body":""}""" },
        { "notificationservice", "POST", "/api/notifications/email", "!" },
        { "notificationservice", "GET", "/api/notifications", null },
        { "notificationservice", "GET", "/api/notifications?recipient=a@b.co&take=9999", null },
        { "notificationservice", "POST", "/api/notifications/batch", """{"recipients":[],"subject":"s","body":"b"}""" },
        { "notificationservice", "PUT", "/api/notifications/preferences/u1", "{}" },
        { "notificationservice", "POST", "/api/user-updated", "{}" },
        { "notificationservice", "POST", "/api/user-updated", "!" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Endpoint_Answers400ProblemDetails_ForBadInput(string resource, string method, string path, string? body)
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = fixture.App.CreateHttpClient(resource);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body == "!" ? """{"email": "a@b.co", """ : body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request, ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, ct);
    }

    [Fact]
    public async Task CreateOrder_Answers202AndReachesConfirmedThenReadyToShip_WithAnApprovedCard()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        var userId = await CreateUserAsync(ct);

        using var created = await orders.PostAsJsonAsync("/api/orders", NewOrder(userId, "4242424242424242"), ct);

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var order = (await ReadJsonAsync(created, ct)).GetProperty("order");
        // The answer shows the order as stored after its chain was sent: a fast worker may have taken it already.
        Assert.Contains(order.GetProperty("status").GetString(), (string[])[OrderStatuses.Pending, OrderStatuses.Processing]);
        var orderId = order.GetProperty("id").GetString()!;

        var confirmed = await PollAsync(orders, $"/api/orders/{orderId}",
            o => o.GetProperty("status").GetString() is OrderStatuses.Confirmed or OrderStatuses.Failed, ct);
        Assert.Equal(OrderStatuses.Confirmed, confirmed.GetProperty("status").GetString());
        Assert.StartsWith("pay_", confirmed.GetProperty("paymentId").GetString(), StringComparison.Ordinal);
        Assert.True(confirmed.GetProperty("shipping").GetDecimal() > 0);

        using var fulfillment = await orders.PostAsync($"/api/orders/{orderId}/fulfillment", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, fulfillment.StatusCode);
        var ready = await PollAsync(orders, $"/api/orders/{orderId}",
            o => o.GetProperty("status").GetString() is OrderStatuses.ReadyToShip or OrderStatuses.Failed, ct);
        Assert.Equal(OrderStatuses.ReadyToShip, ready.GetProperty("status").GetString());
        Assert.True(ready.GetProperty("tax").GetDecimal() > 0);
        string[] expected =
        [
            "validate_inventory", "calculate_shipping", "process_payment", "send_confirmation",
            "reserve_inventory", "calculate_taxes", "validate_shipping_address", "check_fraud_score", "finalize_order_preparation",
        ];
        var workflow = await PollAsync(orders, $"/api/orders/{orderId}/workflow",
            w => expected.All(step => Steps(w).Contains((step, "SUCCESS"))), ct);
        Assert.Equal(2, workflow.GetProperty("workflows").GetArrayLength());

        using var again = await orders.PostAsync($"/api/orders/{orderId}/fulfillment", null, ct);
        await AssertProblemAsync(again, HttpStatusCode.Conflict, ct);
    }

    [Fact]
    public async Task CreateOrder_EndsFailedWithReasonAndReleasesStock_WhenTheCardIsDeclined()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        var userId = await CreateUserAsync(ct);

        using var created = await orders.PostAsJsonAsync("/api/orders", NewOrder(userId, "4000000000000119"), ct);

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var orderId = (await ReadJsonAsync(created, ct)).GetProperty("order").GetProperty("id").GetString()!;
        var failed = await PollAsync(orders, $"/api/orders/{orderId}",
            o => o.GetProperty("status").GetString() is OrderStatuses.Confirmed or OrderStatuses.Failed, ct);
        Assert.Equal(OrderStatuses.Failed, failed.GetProperty("status").GetString());
        Assert.Contains("insufficient_funds", failed.GetProperty("failureReason").GetString(), StringComparison.Ordinal);

        // process_payment failed the task, so the engine ran validate_inventory's compensation, release_inventory.
        var workflow = await PollAsync(orders, $"/api/orders/{orderId}/workflow",
            w => Steps(w).Any(s => s.Step == "release_inventory" && s.State is "SUCCESS" or "FAILURE"), ct);
        var steps = Steps(workflow);
        Assert.Contains(("validate_inventory", "SUCCESS"), steps);
        Assert.Contains(("process_payment", "FAILURE"), steps);
        Assert.Contains(("release_inventory", "SUCCESS"), steps);
        Assert.DoesNotContain(steps, s => s.Step == "send_confirmation" && s.State == "SUCCESS");
        var reservation = await orders.GetFromJsonAsync<ReservationResponse>($"/api/inventory/reservations/{orderId}", ct);
        Assert.Equal("released", reservation!.Status);

        using var unknown = await orders.PostAsync($"/api/orders/{Guid.NewGuid()}/fulfillment", null, ct);
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, ct);
        using var notConfirmed = await orders.PostAsync($"/api/orders/{orderId}/fulfillment", null, ct);
        await AssertProblemAsync(notConfirmed, HttpStatusCode.Conflict, ct);
    }

    [Fact]
    public async Task CreateOrder_StillReachesConfirmed_WhenThePaymentProviderFailsTransiently()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        var userId = await CreateUserAsync(ct);
        using var outage = await orders.PostAsJsonAsync("/api/payments/simulate-outage", new { calls = 2 }, ct);
        Assert.Equal(HttpStatusCode.OK, outage.StatusCode);
        try
        {
            using var created = await orders.PostAsJsonAsync("/api/orders", NewOrder(userId, "4242424242424242"), ct);

            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            var orderId = (await ReadJsonAsync(created, ct)).GetProperty("order").GetProperty("id").GetString()!;
            var done = await PollAsync(orders, $"/api/orders/{orderId}",
                o => o.GetProperty("status").GetString() is OrderStatuses.Confirmed or OrderStatuses.Failed, ct);
            Assert.Equal(OrderStatuses.Confirmed, done.GetProperty("status").GetString());
            var payment = await orders.GetFromJsonAsync<PaymentResponse>($"/api/payments/{orderId}", ct);
            Assert.Equal(PaymentStatuses.Approved, payment!.Status);
        }
        finally
        {
            using var _ = await orders.PostAsJsonAsync("/api/payments/simulate-outage", new { calls = 0 }, CancellationToken.None);
        }
    }

    [Fact]
    public async Task CreateOrder_Answers422ProblemDetails_WhenTheUserDoesNotExist()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        var userId = Guid.NewGuid().ToString();

        using var unknown = await orders.PostAsJsonAsync("/api/orders", NewOrder(userId, "4242424242424242"), ct);
        using var malformed = await orders.PostAsJsonAsync("/api/orders", NewOrder("abc", "4242424242424242"), ct);

        await AssertProblemAsync(unknown, HttpStatusCode.UnprocessableEntity, ct);
        var problem = await unknown.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains(userId, problem.GetProperty("errors").GetProperty("userId")[0].GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, ct);
        var stored = await orders.GetFromJsonAsync<JsonElement>($"/api/orders?userId={userId}", ct);
        Assert.Equal(0, stored.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task CreateOrder_IsCheckedByItsFirstStep_WhenUserServiceWasDownAtCreation()
    {
        var ct = TestContext.Current.CancellationToken;
        using var orders = fixture.App.CreateHttpClient("orderservice");
        var knownUser = await CreateUserAsync(ct);
        var unknownUser = Guid.NewGuid().ToString();
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();

        string knownOrder, unknownOrder;
        var stop = await commands.ExecuteCommandAsync("userservice", KnownResourceCommands.StopCommand, ct);
        Assert.True(stop.Success, stop.Message);
        try
        {
            await fixture.App.ResourceNotifications.WaitForResourceAsync("userservice", KnownResourceStates.TerminalStates, ct);

            // OrderService cannot ask: both orders are accepted, unverified.
            using var placedKnown = await orders.PostAsJsonAsync("/api/orders", NewOrder(knownUser, "4242424242424242"), ct);
            using var placedUnknown = await orders.PostAsJsonAsync("/api/orders", NewOrder(unknownUser, "4242424242424242"), ct);
            Assert.Equal(HttpStatusCode.Accepted, placedKnown.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, placedUnknown.StatusCode);
            var known = (await ReadJsonAsync(placedKnown, ct)).GetProperty("order");
            Assert.False(known.GetProperty("userVerified").GetBoolean());
            knownOrder = known.GetProperty("id").GetString()!;
            unknownOrder = (await ReadJsonAsync(placedUnknown, ct)).GetProperty("order").GetProperty("id").GetString()!;
        }
        finally
        {
            var start = await commands.ExecuteCommandAsync("userservice", KnownResourceCommands.StartCommand, CancellationToken.None);
            Assert.True(start.Success, start.Message);
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync("userservice", ct);
        }

        // validate_inventory asks once UserService answers (its retries cover the downtime).
        var confirmed = await PollAsync(orders, $"/api/orders/{knownOrder}",
            o => o.GetProperty("status").GetString() is OrderStatuses.Confirmed or OrderStatuses.Failed, ct);
        Assert.Equal(OrderStatuses.Confirmed, confirmed.GetProperty("status").GetString());
        var failed = await PollAsync(orders, $"/api/orders/{unknownOrder}",
            o => o.GetProperty("status").GetString() is OrderStatuses.Confirmed or OrderStatuses.Failed, ct);
        Assert.Equal(OrderStatuses.Failed, failed.GetProperty("status").GetString());
        Assert.Equal(OrderFailureReasons.UnknownUser, failed.GetProperty("failureReason").GetString());
        // Failed before any stock was taken.
        using var reservation = await orders.GetAsync($"/api/inventory/reservations/{unknownOrder}", ct);
        Assert.Equal(HttpStatusCode.NotFound, reservation.StatusCode);
    }

    /// <summary>(step, state) of every step in the order's workflow trees.</summary>
    private static List<(string Step, string State)> Steps(JsonElement workflow) =>
    [
        .. workflow.GetProperty("workflows").EnumerateArray()
            .SelectMany(w => w.GetProperty("steps").EnumerateArray())
            .Select(s => (s.GetProperty("step").GetString()!, s.GetProperty("state").GetString()!)),
    ];

    /// <summary>A new user's id: orders are accepted only for users UserService knows.</summary>
    private async Task<string> CreateUserAsync(CancellationToken ct)
    {
        using var users = fixture.App.CreateHttpClient("userservice");
        using var created = await users.PostAsJsonAsync("/api/users",
            new { email = $"buyer.{Guid.NewGuid():N}@example.com", firstName = "Buyer", lastName = "Example", password = "Purchase123" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        return (await ReadJsonAsync(created, ct)).GetProperty("user").GetProperty("id").GetString()!;
    }

    private static object NewOrder(string userId, string cardNumber) => new
    {
        userId,
        customerEmail = $"buyer.{Guid.NewGuid():N}@example.com",
        items = new[] { new { productId = "sku-mouse", quantity = 2 }, new { productId = "sku-keyboard", quantity = 1 } },
        shippingAddress = new { name = "Buyer", street = "1 Main St", city = "Springfield", postalCode = "12345", country = "US" },
        paymentMethod = new { cardNumber, expiryMonth = 12, expiryYear = DateTime.UtcNow.Year + 2 },
    };

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).Clone();

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(text);
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
    }

    /// <summary>Reads <paramref name="path"/> until <paramref name="done"/> holds; the workers run in the background.</summary>
    private static async Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> done, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FlowTimeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        var last = default(JsonElement);
        try
        {
            do
            {
                last = (await http.GetFromJsonAsync<JsonElement>(path, timeout.Token)).Clone();
                if (done(last))
                {
                    return last;
                }
            }
            while (await timer.WaitForNextTickAsync(timeout.Token));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }

        throw new TimeoutException($"{path} did not reach the expected state in {FlowTimeout}; last: {last}");
    }
}
