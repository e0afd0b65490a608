using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Onboarding.Contracts.Http;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.EndToEnd;

/// <summary>
/// The README's walk-through, request for request, on an application of its own (so that no other test's dead
/// letters count): a user, a login, an order to ready_to_ship, a declined payment, an unknown user's order, the
/// user's deletion; afterwards the dead-letter queue is empty.
/// </summary>
[Collection(WalkthroughCollection.Name)]
public sealed class WalkthroughTests(AppFixture fixture)
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Walkthrough_RunsAsDocumented_AndLeavesTheDeadLetterQueueEmpty()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        using var orders = fixture.App.CreateHttpClient("orderservice");
        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var email = $"ada.{Guid.NewGuid():N}@example.com";

        // 1. A user, onboarded; the welcome email in the outbox; a login.
        using var created = await users.PostAsJsonAsync("/api/users",
            new { email, firstName = "Ada", lastName = "Lovelace", password = "Analytical1" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var userId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("user").GetProperty("id").GetString()!;
        await PollAsync(users, $"/api/users/{userId}/onboarding", o => o.GetProperty("userStatus").GetString() == UserStatuses.Active, ct);
        await PollAsync(notifications, $"/api/notifications?recipient={Uri.EscapeDataString(email)}", n => n.GetArrayLength() > 0, ct);
        using var login = await users.PostAsJsonAsync("/api/users/login", new { email, password = "Analytical1" }, ct);
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);

        // 2. An order: confirmed, then ready_to_ship after the fulfillment chord.
        var orderId = await PlaceOrderAsync(orders, userId, email, "4242424242424242", HttpStatusCode.Accepted, ct);
        await PollAsync(orders, $"/api/orders/{orderId}", o => o.GetProperty("status").GetString() == OrderStatuses.Confirmed, ct);
        using var fulfillment = await orders.PostAsync($"/api/orders/{orderId}/fulfillment", null, ct);
        Assert.Equal(HttpStatusCode.Accepted, fulfillment.StatusCode);
        await PollAsync(orders, $"/api/orders/{orderId}", o => o.GetProperty("status").GetString() == OrderStatuses.ReadyToShip, ct);

        // 3. A declined payment: failed with the reason, the stock released by the compensation.
        var declinedId = await PlaceOrderAsync(orders, userId, email, "4000000000000119", HttpStatusCode.Accepted, ct);
        var declined = await PollAsync(orders, $"/api/orders/{declinedId}", o => o.GetProperty("status").GetString() == OrderStatuses.Failed, ct);
        Assert.Contains("insufficient_funds", declined.GetProperty("failureReason").GetString(), StringComparison.Ordinal);
        await PollAsync(orders, $"/api/inventory/reservations/{declinedId}", r => r.GetProperty("status").GetString() == "released", ct);

        // An order for a user that does not exist is refused.
        await PlaceOrderAsync(orders, Guid.NewGuid().ToString(), email, "4242424242424242", HttpStatusCode.UnprocessableEntity, ct);

        // 4. The user deleted: every service forgets them.
        using var deleted = await users.DeleteAsync($"/api/users/{userId}", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await PollAsync(orders, $"/api/orders?userId={userId}", o => o.GetProperty("total").GetInt64() == 0, ct);
        await PollAsync(notifications, $"/api/notifications?recipient={Uri.EscapeDataString(email)}", n => n.GetArrayLength() == 0, ct);

        // Every event the walk-through published reached a subscriber (an unroutable one is dead-lettered as it is
        // published), and every task ran: nothing was dead-lettered.
        Assert.Equal(0u, await DeadLetteredAsync(ct));
    }

    private static async Task<string?> PlaceOrderAsync(
        HttpClient orders, string userId, string email, string cardNumber, HttpStatusCode expected, CancellationToken ct)
    {
        using var placed = await orders.PostAsJsonAsync("/api/orders", new
        {
            userId,
            customerEmail = email,
            items = new[] { new { productId = "sku-mouse", quantity = 2 } },
            shippingAddress = new { street = "1 Main St", city = "Springfield", postalCode = "12345", country = "US" },
            paymentMethod = new { cardNumber, expiryMonth = 12, expiryYear = DateTime.UtcNow.Year + 2 },
        }, ct);
        Assert.True(expected == placed.StatusCode, await placed.Content.ReadAsStringAsync(ct));
        return expected == HttpStatusCode.Accepted
            ? (await placed.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("order").GetProperty("id").GetString()
            : null;
    }

    private async Task<uint> DeadLetteredAsync(CancellationToken ct)
    {
        var factory = new ConnectionFactory { Uri = new Uri((await fixture.App.GetConnectionStringAsync("rabbitmq", ct))!) };
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        return (await channel.QueueDeclarePassiveAsync("onboarding.dead_letter", ct)).MessageCount;
    }

    private static Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> done, CancellationToken ct) =>
        HttpPolling.UntilAsync(http, path, done, FlowTimeout, ct);
}

/// <summary>An application of its own for the walk-through, whose dead-letter count no other test may touch.</summary>
[CollectionDefinition(Name)]
public sealed class WalkthroughCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "Walk-through application";
}
