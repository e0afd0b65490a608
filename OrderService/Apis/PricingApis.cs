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
        var errors = RequestValidation.Validate(request);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(PricingRules.Quote(request!.Country!, request.ItemCount));
    }

    public static Results<Ok<AddressValidationResponse>, ValidationProblem> ValidateAddress(ShippingAddressDto? address)
    {
        var errors = RequestValidation.Validate(address);
        return errors.Count > 0 ? TypedResults.ValidationProblem(errors) : TypedResults.Ok(PricingRules.ValidateAddress(address!));
    }

    public static Results<Ok<TaxResponse>, ValidationProblem> CalculateTax(TaxRequest? request)
    {
        var errors = RequestValidation.Validate(request);
        return errors.Count > 0
            ? TypedResults.ValidationProblem(errors)
            : TypedResults.Ok(PricingRules.Tax(request!.Country!, request.Subtotal!.Value));
    }

    public static async Task<Results<Ok<FraudScoreResponse>, ValidationProblem, ProblemHttpResult>> ScoreAsync(
        FraudScoreRequest? request, RedisOrderStore orders)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await orders.GetAsync(request!.OrderId!) is not { } order)
        {
            return ApiProblems.NotFound("Order", request.OrderId!);
        }

        var score = PricingRules.FraudScore(order.Total, order.ShippingAddress.Country ?? string.Empty);
        return TypedResults.Ok(new FraudScoreResponse(order.Id, score, score < PricingRules.FraudThreshold));
    }
}
