using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;

namespace Onboarding.OrderService.Apis;

/// <summary>
/// The simulated payment provider: <c>/api/payments</c>. Declines follow <see cref="PaymentRules"/> (test cards by
/// last four digits); <c>simulate-outage</c> makes the next N charges answer 503 so retries and the circuit
/// breaker of the callers can be watched.
/// </summary>
internal static class PaymentsApi
{
    public static RouteGroupBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/payments").WithTags("Payments");
        api.MapPost("/", ChargeAsync).WithName("ChargePayment")
            .WithSummary("Charge a card for an order (idempotent by order id); declines follow the test-card rules");
        api.MapGet("/{orderId}", GetPaymentAsync).WithName("GetPayment").WithSummary("An order's payment outcome");
        api.MapPost("/simulate-outage", SimulateOutageAsync).WithName("SimulatePaymentOutage")
            .WithSummary("Make the next N charges fail with 503 (0 ends the outage)");
        return api;
    }

    public static async Task<Results<Ok<PaymentResponse>, ValidationProblem, ProblemHttpResult>> ChargeAsync(
        PaymentRequest? request, RedisPayments payments, TimeProvider time, ILogger<RedisPayments> logger)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        if (await payments.TakeOutageCallAsync())
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Payment provider unavailable",
                detail: "Simulated outage; retry later.");
        }

        var paymentId = "pay_" + Guid.CreateVersion7(time.GetUtcNow()).ToString("N");
        var payment = await payments.RecordAsync(PaymentRules.Charge(paymentId, request!.OrderId!, request.CardLast4!, request.Amount));
        if (payment.Status == PaymentStatuses.Declined)
        {
            OrderServiceLog.PaymentDeclined(logger, payment.OrderId, payment.DeclineCode!);
        }

        return TypedResults.Ok(payment);
    }

    public static async Task<Results<Ok<PaymentResponse>, ProblemHttpResult>> GetPaymentAsync(string orderId, RedisPayments payments) =>
        await payments.GetAsync(orderId) is { } payment ? TypedResults.Ok(payment) : ApiProblems.NotFound("Payment", orderId);

    public static async Task<Results<Ok<SimulateOutageRequest>, ValidationProblem>> SimulateOutageAsync(
        SimulateOutageRequest? request, RedisPayments payments, ILogger<RedisPayments> logger)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var calls = request!.Calls!.Value;
        await payments.SetOutageAsync(calls);
        OrderServiceLog.OutageSimulated(logger, calls);
        return TypedResults.Ok(request);
    }
}
