using System.Text.RegularExpressions;
using Onboarding.Contracts.Http;
using Onboarding.ServiceDefaults.HttpApi;

namespace Onboarding.OrderService.Application;

/// <summary>The input rules of the orders API; each method answers the errors by field (empty when valid).</summary>
internal static partial class OrderValidation
{
    public const int MaxItems = 50;
    public const int MaxQuantity = 100;
    public const int MaxEmailLength = 254;
    public const int MaxNameLength = 100;
    public const int MaxStreetLength = 200;
    public const int MaxCityLength = 100;
    public const int MaxPostalCodeLength = 20;
    public const int MinExpiryYear = 2000;
    public const int MaxExpiryYear = 2100;

    public static Dictionary<string, string[]> Validate(CreateOrderRequest? request, DateTimeOffset now)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (request is null)
        {
            errors["body"] = ["A JSON body is required."];
            return errors;
        }

        if (string.IsNullOrWhiteSpace(request.UserId))
        {
            errors["userId"] = ["The userId is required."];
        }
        else if (!ResourceIds.IsWellFormed(request.UserId.Trim()))
        {
            errors["userId"] = [ResourceIds.Message("userId")];
        }

        if (!IsEmail(request.CustomerEmail))
        {
            errors["customerEmail"] = [$"A valid customerEmail is required (at most {MaxEmailLength} characters)."];
        }

        if (request.Items is not { Count: > 0 and <= MaxItems })
        {
            errors["items"] = [$"Give 1 to {MaxItems} items."];
        }
        else
        {
            for (var i = 0; i < request.Items.Count; i++)
            {
                CheckItem($"items[{i}]", request.Items[i]?.ProductId, request.Items[i]?.Quantity, errors);
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

    /// <summary>One item of an order or a reservation: a catalog product and a quantity 1 to <see cref="MaxQuantity"/>.</summary>
    public static void CheckItem(string field, string? productId, int? quantity, Dictionary<string, string[]> errors)
    {
        if (Catalog.Find(productId) is null)
        {
            errors[$"{field}.productId"] = [$"Unknown product; one of: {string.Join(", ", Catalog.Products.Select(p => p.Id))}."];
        }

        if (quantity is not (>= 1 and <= MaxQuantity))
        {
            errors[$"{field}.quantity"] = [$"The quantity must be 1 to {MaxQuantity}."];
        }
    }

    public static void ValidateAddress(ShippingAddressDto? address, Dictionary<string, string[]> errors, string prefix = "shippingAddress.")
    {
        if (address is null)
        {
            errors[prefix.Length > 0 ? prefix.TrimEnd('.') : "body"] = ["The shipping address is required."];
            return;
        }

        if (address.Name is { Length: > MaxNameLength })
        {
            errors[prefix + "name"] = [$"The {prefix}name must be at most {MaxNameLength} characters."];
        }

        Require(prefix + "street", address.Street, MaxStreetLength, errors);
        Require(prefix + "city", address.City, MaxCityLength, errors);
        Require(prefix + "postalCode", address.PostalCode, MaxPostalCodeLength, errors);
        CheckCountry(prefix + "country", address.Country, errors);
    }

    public static void CheckCountry(string field, string? country, Dictionary<string, string[]> errors)
    {
        if (country is null || !CountryPattern().IsMatch(country))
        {
            errors[field] = [$"The {field} must be an ISO 3166 two-letter code in capitals, such as US or DE."];
        }
    }

    private static void ValidatePayment(PaymentMethodRequest? payment, DateTimeOffset now, Dictionary<string, string[]> errors)
    {
        if (payment is null)
        {
            errors["paymentMethod"] = ["The paymentMethod is required."];
            return;
        }

        if (payment.CardNumber is not { Length: <= 30 } || !CardPattern().IsMatch(payment.CardNumber.Replace(" ", string.Empty, StringComparison.Ordinal)))
        {
            errors["paymentMethod.cardNumber"] = ["The card number must be 12 to 19 digits (spaces allowed)."];
        }

        if (payment.ExpiryMonth is not (>= 1 and <= 12))
        {
            errors["paymentMethod.expiryMonth"] = ["The expiryMonth must be 1 to 12."];
        }

        if (payment.ExpiryYear is not (>= MinExpiryYear and <= MaxExpiryYear))
        {
            errors["paymentMethod.expiryYear"] = [$"The expiryYear must be a four-digit year, {MinExpiryYear} to {MaxExpiryYear}."];
        }
        else if (payment.ExpiryMonth is >= 1 and <= 12
            && new DateTime(payment.ExpiryYear.Value, payment.ExpiryMonth.Value, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1) <= now.UtcDateTime)
        {
            errors["paymentMethod.expiryYear"] = ["The card has expired."];
        }
    }

    public static void Require(string field, string? value, int maxLength, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
        {
            errors[field] = [$"The {field} is required (at most {maxLength} characters)."];
        }
    }

    public static bool IsEmail(string? value) => value is { Length: <= MaxEmailLength } && EmailPattern().IsMatch(value.Trim());

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
