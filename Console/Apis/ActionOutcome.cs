namespace Onboarding.OperationsConsole.Apis;

/// <summary>
/// One action endpoint serves both the pages' forms and API clients: a form post is answered with a redirect back to
/// the page it came from (its <c>returnUrl</c> field, local paths only) carrying a notice, anything else with JSON.
/// </summary>
internal static class ActionOutcome
{
    public static async Task<string?> FieldAsync(HttpContext context, string name)
    {
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            if (form.TryGetValue(name, out var value))
            {
                return value.ToString();
            }
        }

        return context.Request.Query.TryGetValue(name, out var query) ? query.ToString() : null;
    }

    public static async Task<IResult> DoneAsync(HttpContext context, string notice, object? body = null, bool failed = false,
        int status = StatusCodes.Status400BadRequest)
    {
        if (context.Request.HasFormContentType)
        {
            var returnUrl = await FieldAsync(context, "returnUrl").ConfigureAwait(false);
            if (string.IsNullOrEmpty(returnUrl) || !returnUrl.StartsWith('/') || returnUrl.StartsWith("//", StringComparison.Ordinal) || returnUrl.StartsWith("/\\", StringComparison.Ordinal))
            {
                returnUrl = "/";
            }

            var separator = returnUrl.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            return Results.Redirect($"{returnUrl}{separator}{(failed ? "error" : "notice")}={Uri.EscapeDataString(notice)}");
        }

        return failed
            ? Results.Problem(statusCode: status, title: notice)
            : Results.Ok(body ?? new { message = notice });
    }
}
