using Microsoft.AspNetCore.Http.HttpResults;

namespace Onboarding.OrderService.Apis;

/// <summary>The problem details (application/problem+json) this service answers besides validation problems.</summary>
internal static class ApiProblems
{
    public static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(detail: $"No {what.ToLowerInvariant()} has the id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: $"{what} not found");

    public static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: StatusCodes.Status409Conflict, title: title);

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
