using Microsoft.AspNetCore.Http.HttpResults;

namespace Onboarding.OrderService.Apis;

/// <summary>The problem details (application/problem+json) this service answers besides validation problems.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(detail: $"No {what.ToLowerInvariant()} has the id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: $"{what} not found");

    public static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: title);

    /// <summary>422: the order names a user that UserService does not know.</summary>
    public static ProblemHttpResult UnknownUser(string userId) =>
        TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
        {
            ["userId"] = [$"No user has the id '{userId}'."],
        })
        {
            Status = StatusCodes.Status422UnprocessableEntity,
            Title = "Unknown user",
            Detail = "Orders are placed for existing users; create the user first (POST /api/users on UserService).",
        });

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
