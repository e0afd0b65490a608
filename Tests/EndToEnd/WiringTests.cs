using Onboarding.Contracts;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.Contracts.Events;
using Onboarding.Contracts.Http;
using Onboarding.TaskEngine.Events;
using Onboarding.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Onboarding.Tests.EndToEnd;

/// <summary>
/// The wiring between the services through the real AppHost: user events to every subscriber, GDPR deletion in
/// all three services, idempotent event handling, dead-lettering of unknown events, and the periodic tasks' lease.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class WiringTests(AppFixture fixture)
{
    private static readonly TimeSpan FlowTimeout = TimeSpan.FromSeconds(90);
    private static readonly JsonSerializerOptions SnakeCase = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    [Fact]
    public async Task DeleteUser_RemovesTheUsersDataFromAllThreeServices()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        using var orders = fixture.App.CreateHttpClient("orderservice");
        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var email = $"grace.{Guid.NewGuid():N}@example.com";
        using var created = await users.PostAsJsonAsync("/api/users",
            new { email, firstName = "Grace", lastName = "Hopper", password = "Compiler1952" }, ct);
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var userId = (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("user").GetProperty("id").GetString()!;
        await PollAsync(users, $"/api/users/{userId}/onboarding", o => o.GetProperty("state").GetString() == "SUCCESS", ct);

        using var placed = await orders.PostAsJsonAsync("/api/orders", new
        {
            userId,
            customerEmail = email,
            items = new[] { new { productId = "sku-mouse", quantity = 1 } },
            shippingAddress = new { name = "Grace", street = "1 Navy Way", city = "Arlington", postalCode = "22202", country = "US" },
            paymentMethod = new { cardNumber = "4242424242424242", expiryMonth = 12, expiryYear = DateTime.UtcNow.Year + 2 },
        }, ct);
        Assert.Equal(HttpStatusCode.Accepted, placed.StatusCode);
        var orderId = (await placed.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("order").GetProperty("id").GetString()!;
        await PollAsync(orders, $"/api/orders/{orderId}", o => o.GetProperty("status").GetString() == OrderStatuses.Confirmed, ct);
        // The confirmation email is its own task: wait for it, so nothing lands after the clean-up.
        await PollAsync(notifications, $"/api/notifications?recipient={Uri.EscapeDataString(email)}",
            n => n.EnumerateArray().Any(x => x.GetProperty("subject").GetString()!.StartsWith("Your order", StringComparison.Ordinal)), ct);

        using var deleted = await users.DeleteAsync($"/api/users/{userId}", ct);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);

        using var gone = await users.GetAsync($"/api/users/{userId}", ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        await PollAsync(orders, $"/api/orders?userId={userId}", o => o.GetProperty("total").GetInt64() == 0, ct);
        using var order = await orders.GetAsync($"/api/orders/{orderId}", ct);
        Assert.Equal(HttpStatusCode.NotFound, order.StatusCode);
        await PollAsync(notifications, $"/api/notifications?recipient={Uri.EscapeDataString(email)}", n => n.GetArrayLength() == 0, ct);
    }

    [Fact]
    public async Task EventDeliveredTwice_HasOneEffect()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = await EngineClientAsync(ct);
        var publisher = engine.Services.GetRequiredService<IEventPublisher>();
        var email = $"alan.{Guid.NewGuid():N}@example.com";
        var userId = Guid.NewGuid().ToString();
        var envelope = new EventEnvelope
        {
            EventId = Guid.NewGuid().ToString(),
            EventType = UserEventTypes.PasswordChanged,
            UserId = userId,
            Data = JsonSerializer.SerializeToElement(new UserPasswordChanged(userId, email, DateTimeOffset.UtcNow), SnakeCase),
            Timestamp = DateTimeOffset.UtcNow,
            SourceService = "user_service",
        };

        await publisher.PublishAsync(envelope, ct);
        await publisher.PublishAsync(envelope, ct);

        using var notifications = fixture.App.CreateHttpClient("notificationservice");
        var path = $"/api/notifications?recipient={Uri.EscapeDataString(email)}";
        await PollAsync(notifications, path, n => n.GetArrayLength() > 0, ct);
        // Give the second delivery time to be handled (or skipped).
        await Task.Delay(TimeSpan.FromSeconds(3), ct);
        var outbox = await notifications.GetFromJsonAsync<List<NotificationResponse>>(path, ct);
        var notice = Assert.Single(outbox!);
        Assert.Equal("security", notice.Category);
        Assert.Equal("Your password was changed", notice.Subject);
    }

    [Fact]
    public async Task UnknownEventType_IsDeadLettered()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var engine = await EngineClientAsync(ct);
        var connection = engine.Services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var before = (await channel.QueueDeclarePassiveAsync("onboarding.dead_letter", ct)).MessageCount;
        var envelope = new EventEnvelope
        {
            EventId = Guid.NewGuid().ToString(),
            EventType = "user.teleported",
            Data = JsonSerializer.SerializeToElement(new { user_id = "u1" }),
            Timestamp = DateTimeOffset.UtcNow,
            SourceService = "e2e",
        };

        // No service binds an unknown type, so it reaches a subscriber's queue only when sent there directly (as a
        // misrouted or newer publisher would): the consumer must dead-letter it, not drop it.
        await channel.BasicPublishAsync(string.Empty, "notificationservice.events", mandatory: true,
            new BasicProperties { ContentType = "application/json", DeliveryMode = DeliveryModes.Persistent }, envelope.ToUtf8Json(), ct);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(FlowTimeout);
        while ((await channel.QueueDeclarePassiveAsync("onboarding.dead_letter", timeout.Token)).MessageCount <= before)
        {
            await Task.Delay(250, timeout.Token);
        }

        var dead = await channel.BasicGetAsync("onboarding.dead_letter", autoAck: false, ct);
        Assert.NotNull(dead);
        await channel.BasicRejectAsync(dead.DeliveryTag, requeue: true, ct);
    }

    [Fact]
    public async Task PeriodicTask_FiresOncePerTick_WithThreeBeatWorkers()
    {
        var ct = TestContext.Current.CancellationToken;
        using var users = fixture.App.CreateHttpClient("userservice");
        var first = await PollAsync(users, "/api/stats/registrations/rollup", r => r.GetProperty("runs").GetInt64() > 0, ct);
        var start = DateTimeOffset.UtcNow;
        var runsBefore = first.GetProperty("runs").GetInt64();

        await Task.Delay(AppFixture.RollupInterval * 6, ct);

        var runsAfter = (await users.GetFromJsonAsync<JsonElement>("/api/stats/registrations/rollup", ct)).GetProperty("runs").GetInt64();
        var ticks = (DateTimeOffset.UtcNow - start) / AppFixture.RollupInterval;
        var fired = runsAfter - runsBefore;
        // One firing per tick (±1 at the window's edges); three unleased schedulers would fire about 3× as often.
        Assert.InRange(fired, Math.Max(1, (long)ticks - 2), (long)Math.Ceiling(ticks) + 1);
    }

    /// <summary>An engine client on the app's RabbitMQ and Redis, as another service would have.</summary>
    private async Task<EngineClient> EngineClientAsync(CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "e2e-tests" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = await fixture.App.GetConnectionStringAsync("rabbitmq", ct),
            ["ConnectionStrings:redis"] = await fixture.App.GetConnectionStringAsync("redis", ct),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTaskEngine().WithDefaultRoutes(TaskRoutes.Seed);
        var host = builder.Build();
        await host.StartAsync(ct);
        return new EngineClient(host);
    }

    private sealed class EngineClient(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public async ValueTask DisposeAsync()
        {
            await host.StopAsync(CancellationToken.None);
            host.Dispose();
        }
    }

    private static Task<JsonElement> PollAsync(HttpClient http, string path, Func<JsonElement, bool> done, CancellationToken ct) =>
        HttpPolling.UntilAsync(http, path, done, FlowTimeout, ct);
}
