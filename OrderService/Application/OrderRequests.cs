using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

// Request bodies; every property is nullable so a missing field is a 400 from the validator, not a binding error.

public sealed record OrderItemRequest(string? ProductId, int? Quantity);

public sealed record PaymentMethodRequest(string? CardNumber, int? ExpiryMonth, int? ExpiryYear);

public sealed record CreateOrderRequest(
    string? UserId, string? CustomerEmail, IReadOnlyList<OrderItemRequest?>? Items, ShippingAddressDto? ShippingAddress, PaymentMethodRequest? PaymentMethod);
