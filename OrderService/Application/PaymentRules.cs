using Onboarding.Contracts.Http;

namespace Onboarding.OrderService.Application;

/// <summary>
/// The test payment provider's rules, by the card's last four digits (like Stripe's test cards):
/// <list type="bullet">
/// <item><c>0002</c> (e.g. 4000 0000 0000 0002): declined, <c>card_declined</c>.</item>
/// <item><c>0119</c>: declined, <c>insufficient_funds</c>.</item>
/// <item><c>0069</c>: declined, <c>expired_card</c>.</item>
/// <item><c>0127</c>: declined, <c>incorrect_cvc</c>.</item>
/// <item>any amount above <see cref="MaxAmount"/>: declined, <c>amount_limit_exceeded</c>.</item>
/// <item>anything else (e.g. 4242 4242 4242 4242): approved.</item>
/// </list>
/// Transient outages are separate: <c>POST /api/payments/simulate-outage</c> makes the next N calls answer 503.
/// </summary>
internal static class PaymentRules
{
    public const decimal MaxAmount = 10_000m;

    private static readonly Dictionary<string, (string Code, string Reason)> Declines = new(StringComparer.Ordinal)
    {
        ["0002"] = ("card_declined", "The card was declined."),
        ["0119"] = ("insufficient_funds", "The card has insufficient funds."),
        ["0069"] = ("expired_card", "The card has expired."),
        ["0127"] = ("incorrect_cvc", "The card's security code is incorrect."),
    };

    /// <summary>The decline for a card and amount, or null when the payment is approved.</summary>
    public static (string Code, string Reason)? Decide(string cardLast4, decimal amount)
    {
        if (Declines.TryGetValue(cardLast4, out var decline))
        {
            return decline;
        }

        return amount > MaxAmount ? ("amount_limit_exceeded", $"Amounts above {MaxAmount} are declined.") : null;
    }

    public static PaymentResponse Charge(string paymentId, string orderId, string cardLast4, decimal amount) =>
        Decide(cardLast4, amount) is { } d
            ? new PaymentResponse(paymentId, orderId, PaymentStatuses.Declined, amount, d.Code, d.Reason)
            : new PaymentResponse(paymentId, orderId, PaymentStatuses.Approved, amount, null, null);
}

/// <summary>Shipping quotes, tax rates and fraud scores: the simulated modules' rules.</summary>
internal static class PricingRules
{
    private static readonly HashSet<string> Eu = new(StringComparer.Ordinal) { "AT", "BE", "DE", "DK", "ES", "FI", "FR", "IE", "IT", "NL", "PL", "PT", "SE" };

    private static readonly Dictionary<string, decimal> TaxRates = new(StringComparer.Ordinal)
    {
        ["US"] = 0.0725m, ["CA"] = 0.13m, ["GB"] = 0.20m, ["DE"] = 0.19m, ["FR"] = 0.20m, ["NL"] = 0.21m, ["SE"] = 0.25m,
    };

    /// <summary>Postal codes that the address check rejects (the simulation's "undeliverable" addresses).</summary>
    public const string UndeliverablePostalCode = "00000";

    public static ShippingQuoteResponse Quote(string country, int itemCount)
    {
        var extra = Math.Max(0, itemCount - 3);
        return country switch
        {
            "US" => new("ups-ground", 5.99m + extra, 5),
            _ when Eu.Contains(country) => new("dhl-europe", 12.50m + (2 * extra), 7),
            _ => new("dhl-express", 24.00m + (3 * extra), 10),
        };
    }

    public static TaxResponse Tax(string country, decimal subtotal)
    {
        var rate = TaxRates.GetValueOrDefault(country, Eu.Contains(country) ? 0.20m : 0.10m);
        return new TaxResponse(country, rate, decimal.Round(subtotal * rate, 2, MidpointRounding.AwayFromZero));
    }

    public static AddressValidationResponse ValidateAddress(ShippingAddressDto address)
    {
        var problems = new List<string>();
        if (address.PostalCode == UndeliverablePostalCode)
        {
            problems.Add("The postal code is not deliverable.");
        }

        if (string.IsNullOrWhiteSpace(address.Street) || string.IsNullOrWhiteSpace(address.City))
        {
            problems.Add("The street and city are required.");
        }

        return new AddressValidationResponse(problems.Count == 0, problems);
    }

    /// <summary>0..100: large totals and shipping outside the US/EU raise the score; 70 or more is rejected.</summary>
    public static int FraudScore(decimal total, string country)
    {
        var score = 10;
        if (total > 5_000m)
        {
            score += 40;
        }

        if (country != "US" && !Eu.Contains(country))
        {
            score += 25;
        }

        return Math.Min(100, score);
    }

    public const int FraudThreshold = 70;
}
