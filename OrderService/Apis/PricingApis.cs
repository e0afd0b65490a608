using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;

namespace Onboarding.OrderService.Apis;

/// <summary>The shipping, tax and fraud modules: <c>/api/shipping</c>, <c>/api/tax</c>, <c>/api/fraud</c>.</summary>
internal static class PricingApis
{
    public static IEndpointRouteBuilder MapPricingApis(this IEndpointRouteBuilder app)
    {
        var shipping = app.MapGroup("/api/shipping").WithTags("Shipping");
        shipping.MapPost("/quotes", QuoteAsync).WithName("QuoteShipping").WithSummary("A shipping quote for a destination");
        shipping.MapPost("/address-validation", ValidateAddress).WithName("ValidateAddress")
            .WithSummary("Check that an address is deliverable (postal code 00000 is not)");

        app.MapGroup("/api/tax").WithTags("Tax")
            .MapPost("/calculate", CalculateTax).WithName("CalculateTax").WithSummary("Tax for a subtotal in a country");

        app.MapGroup("/api/fraud").WithTags("Fraud")
            .MapPost("/score", ScoreAsync).WithName("ScoreFraud").WithSummary("Fraud score 0-100 of an order; 70 or more is rejected");
        return app;
    }

    public static Results<Ok<ShippingQuoteResponse>, ValidationProblem> QuoteAsync(ShippingQuoteRequest? request)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        OrderValidation.ValidateAddress(new ShippingAddressDto(null, "-", "-", request?.PostalCode, request?.Country), errors);
        if (request is null || request.ItemCount is < 1 or > 10_000)
        {
            errors["itemCount"] = ["The itemCount must be 1 to 10000."];
        }

        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(PricingRules.Quote(request!.Country!, request.ItemCount));
    }

    public static Results<Ok<AddressValidationResponse>, ValidationProblem> ValidateAddress(ShippingAddressDto? address)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        OrderValidation.ValidateAddress(address, errors);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(PricingRules.ValidateAddress(address!));
    }

    public static Results<Ok<TaxResponse>, ValidationProblem> CalculateTax(TaxRequest? request)
    {
        if (request?.Country is not { Length: 2 } country || !country.All(char.IsAsciiLetterUpper))
        {
            return ApiProblems.Invalid("country", "The country must be an ISO 3166 two-letter code such as US or DE.");
        }

        return request.Subtotal is < 0 or > 100_000_000m
            ? ApiProblems.Invalid("subtotal", "The subtotal must be 0 to 100000000.")
            : TypedResults.Ok(PricingRules.Tax(country, request.Subtotal));
    }

    public static async Task<Results<Ok<FraudScoreResponse>, ValidationProblem, ProblemHttpResult>> ScoreAsync(
        FraudScoreRequest? request, RedisOrderStore orders)
    {
        if (string.IsNullOrWhiteSpace(request?.OrderId))
        {
            return ApiProblems.Invalid("orderId", "The orderId is required.");
        }

        if (await orders.GetAsync(request.OrderId) is not { } order)
        {
            return ApiProblems.NotFound("Order", request.OrderId);
        }

        var score = PricingRules.FraudScore(order.Total, order.ShippingAddress.Country ?? string.Empty);
        return TypedResults.Ok(new FraudScoreResponse(order.Id, score, score < PricingRules.FraudThreshold));
    }
}
