using System.Text.RegularExpressions;
using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

/// <summary>The input rules of the orders API; each method answers the errors by field (empty when valid).</summary>
internal static partial class OrderValidation
{
    public const int MaxItems = 50;
    public const int MaxQuantity = 100;

    public static Dictionary<string, string[]> Validate(CreateOrderRequest? request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.UserId) || request.UserId.Length > 64)
        {
            errors["userId"] = ["The userId is required (at most 64 characters)."];
        }

        if (string.IsNullOrWhiteSpace(request.CustomerEmail) || request.CustomerEmail.Length > 254 || !EmailPattern().IsMatch(request.CustomerEmail.Trim()))
        {
            errors["customerEmail"] = ["A valid customerEmail is required."];
        }

        if (request.Items is not { Count: > 0 and <= MaxItems })
        {
            errors["items"] = [$"Give 1 to {MaxItems} items."];
        }
        else
        {
            for (var i = 0; i < request.Items.Count; i++)
            {
                var item = request.Items[i];
                if (Catalog.Find(item?.ProductId) is null)
                {
                    errors[$"items[{i}].productId"] = [$"Unknown product; one of: {string.Join(", ", Catalog.Products.Select(p => p.Id))}."];
                }

                if (item?.Quantity is not (>= 1 and <= MaxQuantity))
                {
                    errors[$"items[{i}].quantity"] = [$"The quantity must be 1 to {MaxQuantity}."];
                }
            }

            if (request.Items.Where(i => i?.ProductId is not null).GroupBy(i => i!.ProductId).Any(g => g.Count() > 1))
            {
                errors["items"] = ["Each product may appear once; use the quantity."];
            }
        }

        ValidateAddress(request.ShippingAddress, errors);
        ValidatePayment(request.PaymentMethod, now, errors);
        return errors;
    }

    public static void ValidateAddress(ShippingAddressDto? address, Dictionary<string, string[]> errors)
    {
        if (address is null)
        {
            errors["shippingAddress"] = ["The shippingAddress is required."];
            return;
        }

        Require("shippingAddress.street", address.Street, 200, errors);
        Require("shippingAddress.city", address.City, 100, errors);
        Require("shippingAddress.postalCode", address.PostalCode, 20, errors);
        if (address.Country is null || !CountryPattern().IsMatch(address.Country))
        {
            errors["shippingAddress.country"] = ["The country must be an ISO 3166 two-letter code such as US or DE."];
        }
    }

    private static void ValidatePayment(PaymentMethodRequest? payment, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        if (payment is null)
        {
            errors["paymentMethod"] = ["The paymentMethod is required."];
            return;
        }

        if (payment.CardNumber is null || !CardPattern().IsMatch(payment.CardNumber.Replace(" ", string.Empty, StringComparison.Ordinal)))
        {
            errors["paymentMethod.cardNumber"] = ["The card number must be 12 to 19 digits."];
        }

        if (payment.ExpiryMonth is not (>= 1 and <= 12) || payment.ExpiryYear is not (>= 2000 and <= 2100))
        {
            errors["paymentMethod.expiry"] = ["Give expiryMonth 1-12 and a four-digit expiryYear."];
        }
        else if (new DateTime(payment.ExpiryYear.Value, payment.ExpiryMonth.Value, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1) <= now.UtcDateTime)
        {
            errors["paymentMethod.expiry"] = ["The card has expired."];
        }
    }

    private static void Require(string field, string? value, int maxLength, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
        {
            errors[field] = [$"The {field} is required (at most {maxLength} characters)."];
        }
    }

    /// <summary>The card number with spaces removed, reduced to its last four digits.</summary>
    public static string Last4(string cardNumber)
    {
        var digits = cardNumber.Replace(" ", string.Empty, StringComparison.Ordinal);
        return digits[^4..];
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex("^[A-Z]{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex CountryPattern();

    [GeneratedRegex("^[0-9]{12,19}$", RegexOptions.CultureInvariant)]
    private static partial Regex CardPattern();
}
