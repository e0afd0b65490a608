using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace Onboarding.ServiceDefaults.HttpApi;

/// <summary>
/// Turns the framework's binding failures (<see cref="BadHttpRequestException"/>) into problem details: a JSON type
/// error names the field by its JSON path (<c>items[0].quantity</c>) and says what was expected there; a syntax error
/// says where the JSON broke; an unbindable query or route value names the parameter. Other statuses the framework
/// raises this way (413 body too large, 415 not JSON) keep their status with the framework's message.
/// </summary>
internal sealed partial class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
        var bodyType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var errors = Describe(bad, bodyType);
        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = errors is null
                ? new() { Status = bad.StatusCode, Detail = bad.Message }
                : new HttpValidationProblemDetails(errors) { Status = bad.StatusCode },
        }).ConfigureAwait(false);
    }

    /// <summary>The errors by field, or null when the failure is not about one field.</summary>
    internal static Dictionary<string, string[]>? Describe(BadHttpRequestException bad, Type? bodyType)
    {
        if (bad.InnerException is JsonException json)
        {
            var field = JsonPaths.ToField(json.Path);
            // The reader's own exception inside means the text is not JSON; without it, the JSON is fine but a value
            // does not fit the field's type.
            var message = json.InnerException is JsonException reader
                ? $"The body is not valid JSON (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1}): {TrimPosition(reader.Message)}"
                : $"Expected {JsonPaths.Expected(bodyType, json.Path)}.";
            return new(StringComparer.Ordinal) { [field] = [message] };
        }

        if (ParameterName().Match(bad.Message) is { Success: true } parameter)
        {
            return new(StringComparer.Ordinal) { [parameter.Groups["name"].Value] = [bad.Message] };
        }

        return null;
    }

    private static string TrimPosition(string message)
    {
        var at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return at < 0 ? message : message[..at].TrimEnd();
    }

    // The framework's message for a query, route or header value that does not convert: Failed to bind parameter "int? take" from "abc".
    [GeneratedRegex("""^Failed to bind parameter "[^"]*?(?<name>\w+)" from""", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();
}
