using Onboarding.Contracts.Http;

namespace Onboarding.Workers.Clients;

/// <summary>OrderService and its modules over service discovery (<c>http://orderservice</c>).</summary>
internal sealed class OrderServiceClient(HttpClient http) : ServiceClientBase(http)
{
    public Task<OrderResponse> GetOrderAsync(string orderId, CancellationToken cancellationToken) =>
        GetAsync<OrderResponse>(OrderPath(orderId), cancellationToken);

    public Task<OrderResponse> ChangeStatusAsync(string orderId, string status, string? reason, CancellationToken cancellationToken) =>
        SendAsync<OrderResponse>(HttpMethod.Post, OrderPath(orderId) + "/status", new OrderStatusChangeRequest(status, reason), cancellationToken);

    public Task<OrderResponse> SetChargesAsync(string orderId, OrderChargesRequest charges, CancellationToken cancellationToken) =>
        SendAsync<OrderResponse>(HttpMethod.Put, OrderPath(orderId) + "/charges", charges, cancellationToken);

    public Task<ReservationResponse> ReserveAsync(OrderResponse order, CancellationToken cancellationToken) =>
        SendAsync<ReservationResponse>(HttpMethod.Post, "/api/inventory/reservations",
            new ReserveInventoryRequest(order.Id, [.. order.Items.Select(i => new ReservationItem(i.ProductId, i.Quantity))]), cancellationToken);

    /// <summary>Releases the order's reservation; an order that reserved nothing is fine.</summary>
    public async Task ReleaseAsync(string orderId, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, $"/api/inventory/reservations/{Uri.EscapeDataString(orderId)}", null, cancellationToken).ConfigureAwait(false);
        }
        catch (ResourceNotFoundException)
        {
            // Nothing was reserved.
        }
    }

    public Task<ShippingQuoteResponse> QuoteShippingAsync(ShippingQuoteRequest request, CancellationToken cancellationToken) =>
        SendAsync<ShippingQuoteResponse>(HttpMethod.Post, "/api/shipping/quotes", request, cancellationToken);

    public Task<AddressValidationResponse> ValidateAddressAsync(ShippingAddressDto address, CancellationToken cancellationToken) =>
        SendAsync<AddressValidationResponse>(HttpMethod.Post, "/api/shipping/address-validation", address, cancellationToken);

    public Task<TaxResponse> CalculateTaxAsync(TaxRequest request, CancellationToken cancellationToken) =>
        SendAsync<TaxResponse>(HttpMethod.Post, "/api/tax/calculate", request, cancellationToken);

    public Task<PaymentResponse> ChargeAsync(PaymentRequest request, CancellationToken cancellationToken) =>
        SendAsync<PaymentResponse>(HttpMethod.Post, "/api/payments", request, cancellationToken);

    public Task<FraudScoreResponse> ScoreFraudAsync(string orderId, CancellationToken cancellationToken) =>
        SendAsync<FraudScoreResponse>(HttpMethod.Post, "/api/fraud/score", new FraudScoreRequest(orderId), cancellationToken);

    public Task NotifyUserUpdatedAsync(UserUpdatedNotification notification, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, "/api/user-updated", notification, cancellationToken);

    private static string OrderPath(string orderId) => $"/api/orders/{Uri.EscapeDataString(orderId)}";

    /// <summary>Periodic maintenance: <c>POST /api/orders/expire-unpaid</c>; answers the service's JSON report.</summary>
    public Task<System.Text.Json.JsonElement> ExpireUnpaidAsync(CancellationToken cancellationToken) =>
        SendAsync<System.Text.Json.JsonElement>(HttpMethod.Post, "/api/orders/expire-unpaid", null, cancellationToken);
}
