using System.ComponentModel.DataAnnotations;

namespace Onboarding.Contracts.Http;

// OrderService's API as the workers see it: orders, inventory, shipping, tax, payments, fraud.

/// <summary>The order statuses: pending → processing → paid → confirmed, or failed; ready_to_ship after fulfillment.</summary>
public static class OrderStatuses
{
    public const string Pending = "pending";
    public const string Processing = "processing";
    public const string Paid = "paid";
    public const string Confirmed = "confirmed";
    public const string Failed = "failed";
    public const string ReadyToShip = "ready_to_ship";
    public const string Expired = "expired";
}

/// <summary>Failure reasons that callers may test for.</summary>
public static class OrderFailureReasons
{
    /// <summary>The order's user does not exist (found by the first processing step when UserService was down at creation).</summary>
    public const string UnknownUser = "unknown user";
}

public sealed record ShippingAddressDto(string? Name, [Required] string? Street, [Required] string? City, [Required] string? PostalCode, [Required] string? Country);

public sealed record OrderItemResponse(string ProductId, string Name, int Quantity, decimal UnitPrice);

/// <summary>
/// An order as OrderService answers it. The payment method shows only the card's last four digits.
/// <paramref name="UserVerified"/> is false while UserService has not confirmed that the user exists.
/// </summary>
public sealed record OrderResponse(
    string Id,
    string UserId,
    string CustomerEmail,
    string Status,
    string? FailureReason,
    IReadOnlyList<OrderItemResponse> Items,
    ShippingAddressDto ShippingAddress,
    string CardLast4,
    decimal Subtotal,
    decimal? Shipping,
    decimal? Tax,
    decimal Total,
    string? PaymentId,
    int? FraudScore,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool UserVerified);

/// <summary>Body of <c>POST /api/orders/{id}/status</c>: a transition the order's state machine allows.</summary>
public sealed record OrderStatusChangeRequest([Required] string? Status, string? Reason);

/// <summary>Body of <c>PUT /api/orders/{id}/charges</c>: amounts computed by a task; null leaves a charge unchanged.</summary>
public sealed record OrderChargesRequest(decimal? Shipping, decimal? Tax, string? PaymentId, int? FraudScore);

public sealed record ReservationItem(string ProductId, int Quantity);

/// <summary>Body of <c>POST /api/inventory/reservations</c>; idempotent by order id.</summary>
public sealed record ReserveInventoryRequest([Required] string? OrderId, [Required] IReadOnlyList<ReservationItem>? Items);

public sealed record ReservationResponse(string OrderId, string Status, IReadOnlyList<ReservationItem> Items);

/// <summary>Body of <c>POST /api/shipping/quotes</c>.</summary>
public sealed record ShippingQuoteRequest([Required] string? Country, [Required] string? PostalCode, int ItemCount);

public sealed record ShippingQuoteResponse(string Carrier, decimal Amount, int EstimatedDays);

/// <summary>Body of <c>POST /api/shipping/address-validation</c>.</summary>
public sealed record AddressValidationResponse(bool Valid, IReadOnlyList<string> Problems);

/// <summary>Body of <c>POST /api/tax/calculate</c>.</summary>
public sealed record TaxRequest([Required] string? Country, [Required] decimal? Subtotal);

public sealed record TaxResponse(string Country, decimal Rate, decimal Amount);

/// <summary>Body of <c>POST /api/payments</c>; idempotent by order id.</summary>
public sealed record PaymentRequest([Required] string? OrderId, decimal Amount, string? Currency, [Required] string? CardLast4);

/// <summary>The payment statuses.</summary>
public static class PaymentStatuses
{
    public const string Approved = "approved";
    public const string Declined = "declined";
}

/// <summary>A payment outcome; a decline carries the provider's code and reason.</summary>
public sealed record PaymentResponse(string PaymentId, string OrderId, string Status, decimal Amount, string? DeclineCode, string? Reason);

/// <summary>Body of <c>POST /api/payments/simulate-outage</c>: the next <paramref name="Calls"/> payments answer 503.</summary>
public sealed record SimulateOutageRequest([Required] int? Calls);

/// <summary>Answer of <c>POST /api/fraud/score</c>: 0 (safe) .. 100.</summary>
public sealed record FraudScoreResponse(string OrderId, int Score, bool Approved);

/// <summary>Body of <c>POST /api/fraud/score</c>.</summary>
public sealed record FraudScoreRequest([Required] string? OrderId);
