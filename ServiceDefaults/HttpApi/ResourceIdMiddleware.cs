using Microsoft.AspNetCore.Http;

namespace Onboarding.ServiceDefaults.HttpApi;

/// <summary>
/// Answers 400 problem details, naming the route value, when an id in the route (<c>{id}</c>, <c>{userId}</c>,
/// <c>{orderId}</c>, <c>{taskId}</c>) is not a GUID, before any handler runs; a well-formed id that names nothing is
/// each handler's 404. Routing has run (WebApplication routes first), so the matched route's values are known.
/// </summary>
internal sealed class ResourceIdMiddleware(RequestDelegate next, IProblemDetailsService problems)
{
    public async Task InvokeAsync(HttpContext context)
    {
        Dictionary<string, string[]>? errors = null;
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (ResourceIds.IsIdName(name) && !ResourceIds.IsWellFormed(value as string))
            {
                (errors ??= new(StringComparer.Ordinal))[name] = [ResourceIds.Message(name)];
            }
        }

        if (errors is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status400BadRequest },
        }).ConfigureAwait(false);
    }
}
