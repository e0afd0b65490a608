using System.ComponentModel.DataAnnotations;
using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

// Request bodies; every property is nullable so a missing field is a 400 from the validator, not a binding error.
// [Required] marks what the validator requires, for the OpenAPI document (RequiredPropertiesSchemaTransformer).

public sealed record OrderItemRequest([Required] string? ProductId, [Required] int? Quantity);

public sealed record PaymentMethodRequest([Required] string? CardNumber, [Required] int? ExpiryMonth, [Required] int? ExpiryYear);

public sealed record CreateOrderRequest(
    [Required] string? UserId,
    [Required] string? CustomerEmail,
    [Required] IReadOnlyList<OrderItemRequest?>? Items,
    [Required] ShippingAddressDto? ShippingAddress,
    [Required] PaymentMethodRequest? PaymentMethod);
