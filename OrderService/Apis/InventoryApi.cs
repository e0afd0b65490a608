using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;

namespace Onboarding.OrderService.Apis;

/// <summary>The inventory module: <c>/api/products</c> (catalog with stock) and <c>/api/inventory</c>.</summary>
internal static class InventoryApi
{
    public static IEndpointRouteBuilder MapInventoryApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/products").WithTags("Inventory")
            .MapGet("/", ListProductsAsync).WithName("ListProducts").WithSummary("The catalog with available stock");

        var api = app.MapGroup("/api/inventory").WithTags("Inventory");
        api.MapPost("/reservations", ReserveAsync).WithName("ReserveInventory")
            .WithSummary("Reserve stock for an order, all items or none (idempotent by order id)");
        api.MapGet("/reservations/{orderId}", GetReservationAsync).WithName("GetReservation").WithSummary("An order's reservation");
        api.MapDelete("/reservations/{orderId}", ReleaseAsync).WithName("ReleaseInventory")
            .WithSummary("Return an order's reserved stock (idempotent)");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<ProductResponse>>> ListProductsAsync(RedisInventory inventory)
    {
        var stock = await inventory.StockAsync();
        return TypedResults.Ok<IReadOnlyList<ProductResponse>>(
            [.. Catalog.Products.Select(p => new ProductResponse(p.Id, p.Name, p.Price, stock.GetValueOrDefault(p.Id)))]);
    }

    public static async Task<Results<Ok<ReservationResponse>, ValidationProblem, ProblemHttpResult>> ReserveAsync(
        ReserveInventoryRequest? request, RedisInventory inventory)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var (reservation, shortProduct) = await inventory.ReserveAsync(request!.OrderId!, request.Items!);
        return reservation is not null
            ? TypedResults.Ok(reservation)
            : ApiProblems.Conflict("Insufficient stock", $"Not enough stock of {shortProduct}.");
    }

    public static async Task<Results<Ok<ReservationResponse>, ProblemHttpResult>> GetReservationAsync(string orderId, RedisInventory inventory) =>
        await inventory.GetReservationAsync(orderId) is { } reservation ? TypedResults.Ok(reservation) : ApiProblems.NotFound("Reservation", orderId);

    public static async Task<Results<Ok<ReservationResponse>, ProblemHttpResult>> ReleaseAsync(string orderId, RedisInventory inventory) =>
        await inventory.ReleaseAsync(orderId) is { } reservation ? TypedResults.Ok(reservation) : ApiProblems.NotFound("Reservation", orderId);
}

public sealed record ProductResponse(string Id, string Name, decimal Price, long Stock);
