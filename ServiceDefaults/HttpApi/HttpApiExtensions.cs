using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Onboarding.ServiceDefaults.HttpApi;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The HTTP edge every service shares, so that each answers bad input alike: problem details for every error status,
/// JSON type and syntax errors naming the field and what was expected, ids checked before any handler runs, a body
/// size limit, and OpenAPI documents whose required lists say what the validators require.
/// </summary>
public static class HttpApiExtensions
{
    /// <summary>Request bodies above this are refused with 413 (the largest valid body, a batch send, is ~300 KB).</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static TBuilder AddHttpApiDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Binding failures throw BadHttpRequestException, with the JsonException that names the path inside, in every
        // environment; BadRequestExceptionHandler turns it into problem details. Not throwing would answer an empty 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        builder.Services.AddOpenApi(o => o.AddSchemaTransformer<RequiredPropertiesSchemaTransformer>());
        return builder;
    }

    /// <summary>The middleware and endpoints of <see cref="AddHttpApiDefaults{TBuilder}"/>; call before mapping the APIs.</summary>
    public static WebApplication UseHttpApiDefaults(this WebApplication app)
    {
        app.UseExceptionHandler();
        // Every error status without a body (404 for an unknown route, 405, 415, ...) gets problem details too.
        app.UseStatusCodePages();
        app.UseMiddleware<ResourceIdMiddleware>();
        app.MapOpenApi();
        return app;
    }
}
