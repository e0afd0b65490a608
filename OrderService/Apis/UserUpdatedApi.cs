using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using Onboarding.OrderService.Infrastructure;

namespace Onboarding.OrderService.Apis;

/// <summary>The user-updated webhook (<c>POST /api/user-updated</c>), called by <c>update_user_profile</c>.</summary>
internal static class UserUpdatedApi
{
    public static RouteHandlerBuilder MapUserUpdatedApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/api/user-updated", UserUpdatedAsync).WithTags("Webhooks").WithName("UserUpdated")
            .WithSummary("A user's profile changed: refresh the customer email on that user's open orders");

    public static async Task<Results<NoContent, ValidationProblem>> UserUpdatedAsync(
        UserUpdatedNotification? request, RedisOrderStore orders, TimeProvider time, ILogger<RedisOrderStore> logger)
    {
        var errors = RequestValidation.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var fields = request!.ChangedFields ?? [];
        if (!string.IsNullOrWhiteSpace(request.Email))
        {
            var (open, _) = await orders.ListAsync(request.UserId!, null, 0, 1000);
            foreach (var order in open.Where(o => o.Status is OrderStatuses.Pending or OrderStatuses.Processing or OrderStatuses.Paid or OrderStatuses.Confirmed))
            {
                await orders.UpdateAsync(order.Id, o => o.CustomerEmail == request.Email ? o : o with { CustomerEmail = request.Email, UpdatedAt = time.GetUtcNow() });
            }
        }

        OrderServiceLog.UserUpdated(logger, request.UserId!, string.Join(',', fields));
        return TypedResults.NoContent();
    }
}
