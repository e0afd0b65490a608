using Onboarding.Contracts.Http;
using Onboarding.ServiceDefaults.HttpApi;

namespace Onboarding.OrderService.Application;

/// <summary>
/// The input rules of the inventory, payments, pricing, fraud, order-status and webhook endpoints; each method
/// answers the errors by field (empty when valid). Messages state the real bounds.
/// </summary>
internal static class RequestValidation
{
    public const decimal MaxPaymentAmount = 100_000_000m;
    public const decimal MaxSubtotal = 100_000_000m;
    public const decimal MaxCharge = 1_000_000m;
    public const int MaxItemCount = 10_000;
    public const int MaxOutageCalls = 1000;
    public const int MaxReasonLength = 500;
    public const int MaxPaymentIdLength = 100;
    public const int MaxChangedFields = 20;
    public const int MaxFieldNameLength = 50;
    public static readonly IReadOnlyList<string> Currencies = ["USD", "EUR"];

    public static Dictionary<string, string[]> Validate(ReserveInventoryRequest? request)
    {
        var errors = NewErrors();
        CheckOrderId(request?.OrderId, errors);
        if (request?.Items is not { Count: > 0 and <= OrderValidation.MaxItems } items)
        {
            errors["items"] = [$"Give 1 to {OrderValidation.MaxItems} items."];
            return errors;
        }

        for (var i = 0; i < items.Count; i++)
        {
            OrderValidation.CheckItem($"items[{i}]", items[i]?.ProductId, items[i]?.Quantity, errors);
        }

        if (items.Where(i => i?.ProductId is not null).GroupBy(i => i.ProductId).Any(g => g.Count() > 1))
        {
            errors["items"] = ["Each product may appear once; use the quantity."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(PaymentRequest? request)
    {
        var errors = NewErrors();
        CheckOrderId(request?.OrderId, errors);
        if (request?.Amount is not (> 0 and <= MaxPaymentAmount))
        {
            errors["amount"] = [$"The amount must be above 0 and at most {MaxPaymentAmount}."];
        }

        if (request?.CardLast4 is not { Length: 4 } last4 || !last4.All(char.IsAsciiDigit))
        {
            errors["cardLast4"] = ["The cardLast4 must be four digits."];
        }

        if (request?.Currency is { } currency && !Currencies.Contains(currency))
        {
            errors["currency"] = [$"The currency must be one of: {string.Join(", ", Currencies)}."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(SimulateOutageRequest? request)
    {
        var errors = NewErrors();
        if (request?.Calls is not (>= 0 and <= MaxOutageCalls))
        {
            errors["calls"] = [$"The calls are required, 0 to {MaxOutageCalls}."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(ShippingQuoteRequest? request)
    {
        var errors = NewErrors();
        OrderValidation.CheckCountry("country", request?.Country, errors);
        OrderValidation.Require("postalCode", request?.PostalCode, OrderValidation.MaxPostalCodeLength, errors);
        if (request?.ItemCount is not (>= 1 and <= MaxItemCount))
        {
            errors["itemCount"] = [$"The itemCount must be 1 to {MaxItemCount}."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(ShippingAddressDto? address)
    {
        var errors = NewErrors();
        OrderValidation.ValidateAddress(address, errors, prefix: string.Empty);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(TaxRequest? request)
    {
        var errors = NewErrors();
        OrderValidation.CheckCountry("country", request?.Country, errors);
        if (request?.Subtotal is not (>= 0 and <= MaxSubtotal))
        {
            errors["subtotal"] = [$"The subtotal is required, 0 to {MaxSubtotal}."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(FraudScoreRequest? request)
    {
        var errors = NewErrors();
        CheckOrderId(request?.OrderId, errors);
        return errors;
    }

    public static Dictionary<string, string[]> Validate(OrderStatusChangeRequest? request)
    {
        var errors = NewErrors();
        if (!OrderStateMachine.IsKnown(request?.Status))
        {
            errors["status"] = [$"The status must be one of: {string.Join(", ", OrderStateMachine.Statuses)}."];
        }
        else if (request!.Status == OrderStatuses.Failed && string.IsNullOrWhiteSpace(request.Reason))
        {
            errors["reason"] = ["A failed order needs a reason."];
        }

        if (request?.Reason is { Length: > MaxReasonLength })
        {
            errors["reason"] = [$"The reason must be at most {MaxReasonLength} characters."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(OrderChargesRequest? request)
    {
        var errors = NewErrors();
        if (request is null || (request.Shipping is null && request.Tax is null && request.PaymentId is null && request.FraudScore is null))
        {
            errors["body"] = ["Give at least one of shipping, tax, paymentId, fraudScore."];
            return errors;
        }

        if (request.Shipping is < 0 or > MaxCharge)
        {
            errors["shipping"] = [$"The shipping must be 0 to {MaxCharge}."];
        }

        if (request.Tax is < 0 or > MaxCharge)
        {
            errors["tax"] = [$"The tax must be 0 to {MaxCharge}."];
        }

        if (request.FraudScore is < 0 or > 100)
        {
            errors["fraudScore"] = ["The fraudScore must be 0 to 100."];
        }

        if (request.PaymentId is { Length: 0 or > MaxPaymentIdLength })
        {
            errors["paymentId"] = [$"The paymentId must be 1 to {MaxPaymentIdLength} characters."];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(UserUpdatedNotification? request)
    {
        var errors = NewErrors();
        if (string.IsNullOrWhiteSpace(request?.UserId))
        {
            errors["userId"] = ["The userId is required."];
        }
        else if (!ResourceIds.IsWellFormed(request.UserId))
        {
            errors["userId"] = [ResourceIds.Message("userId")];
        }

        if (request?.Email is not null && !OrderValidation.IsEmail(request.Email))
        {
            errors["email"] = [$"The email must be a valid address (at most {OrderValidation.MaxEmailLength} characters)."];
        }

        if (request?.ChangedFields is { } fields
            && (fields.Count > MaxChangedFields || fields.Any(f => string.IsNullOrWhiteSpace(f) || f.Length > MaxFieldNameLength)))
        {
            errors["changedFields"] = [$"Give at most {MaxChangedFields} field names, each 1 to {MaxFieldNameLength} characters."];
        }

        return errors;
    }

    private static void CheckOrderId(string? orderId, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(orderId))
        {
            errors["orderId"] = ["The orderId is required."];
        }
        else if (!ResourceIds.IsWellFormed(orderId))
        {
            errors["orderId"] = [ResourceIds.Message("orderId")];
        }
    }

    private static Dictionary<string, string[]> NewErrors() => new(StringComparer.Ordinal);
}
