using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Onboarding.OrderService.Apis;

/// <summary>The problem details this service answers besides validation problems.</summary>
internal static class ApiProblems
{
    public static NotFound<ProblemDetails> NotFound(string what, string id) =>
        TypedResults.NotFound(Create(StatusCodes.Status404NotFound, $"{what} not found", $"No {what.ToLowerInvariant()} has the id '{id}'."));

    public static Conflict<ProblemDetails> Conflict(string title, string detail) =>
        TypedResults.Conflict(Create(StatusCodes.Status409Conflict, title, detail));

    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemDetails Create(int status, string title, string detail) =>
        new() { Status = status, Title = title, Detail = detail, Type = $"https://httpstatuses.io/{status}" };
}
