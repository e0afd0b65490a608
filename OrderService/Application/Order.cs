using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

internal sealed record OrderItem(string ProductId, string Name, int Quantity, decimal UnitPrice);

/// <summary>An order as OrderService stores it (JSON under <c>orders:{id}</c>). Changes use <c>with</c>.</summary>
internal sealed record Order
{
    public required string Id { get; init; }

    public required string UserId { get; init; }

    public required string CustomerEmail { get; init; }

    /// <summary>
    /// False when UserService could not be asked at creation; the processing chain's first step asks again and fails
    /// the order as an unknown user's. Orders stored before the check existed read as verified.
    /// </summary>
    public bool UserVerified { get; init; } = true;

    public string Status { get; init; } = OrderStatuses.Pending;

    public string? FailureReason { get; init; }

    public required IReadOnlyList<OrderItem> Items { get; init; }

    public required ShippingAddressDto ShippingAddress { get; init; }

    /// <summary>Only the last four digits are kept; the test payment provider decides by them.</summary>
    public required string CardLast4 { get; init; }

    public decimal? Shipping { get; init; }

    public decimal? Tax { get; init; }

    public string? PaymentId { get; init; }

    public int? FraudScore { get; init; }

    /// <summary>Workflow name (processing, fulfillment) → its root id, where the status tree starts.</summary>
    public IReadOnlyDictionary<string, string> WorkflowRoots { get; init; } = new Dictionary<string, string>();

    /// <summary>Workflow step name → task id, for the processing chain and the fulfillment chord.</summary>
    public IReadOnlyDictionary<string, string> Tasks { get; init; } = new Dictionary<string, string>();

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    public decimal Subtotal => Items.Sum(i => i.UnitPrice * i.Quantity);

    public decimal Total => Subtotal + (Shipping ?? 0) + (Tax ?? 0);

    public OrderResponse ToResponse() => new(
        Id, UserId, CustomerEmail, Status, FailureReason,
        [.. Items.Select(i => new OrderItemResponse(i.ProductId, i.Name, i.Quantity, i.UnitPrice))],
        ShippingAddress, CardLast4, Subtotal, Shipping, Tax, Total, PaymentId, FraudScore, CreatedAt, UpdatedAt, UserVerified);
}

/// <summary>
/// The order state machine: pending → processing → paid → confirmed → ready_to_ship; pending, processing and paid
/// may fail; pending may expire. Repeating the current status is allowed (idempotent tasks).
/// </summary>
internal static class OrderStateMachine
{
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        [OrderStatuses.Pending] = [OrderStatuses.Processing, OrderStatuses.Failed, OrderStatuses.Expired],
        [OrderStatuses.Processing] = [OrderStatuses.Paid, OrderStatuses.Failed, OrderStatuses.Expired],
        [OrderStatuses.Paid] = [OrderStatuses.Confirmed, OrderStatuses.Failed],
        [OrderStatuses.Confirmed] = [OrderStatuses.ReadyToShip, OrderStatuses.Failed],
        [OrderStatuses.Failed] = [],
        [OrderStatuses.Expired] = [],
        [OrderStatuses.ReadyToShip] = [],
    };

    public static IEnumerable<string> Statuses => Allowed.Keys;

    public static bool IsKnown(string? status) => status is not null && Allowed.ContainsKey(status);

    public static bool CanMove(string from, string to) =>
        from == to || (Allowed.TryGetValue(from, out var next) && next.Contains(to, StringComparer.Ordinal));
}
