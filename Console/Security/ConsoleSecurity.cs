using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;

namespace Onboarding.OperationsConsole.Security;

/// <summary>
/// Login by the operator password into a cookie session; every action is a POST that must carry an antiforgery token
/// (the form field the pages render, or the <c>RequestVerificationToken</c> header for API clients, who get one from
/// <c>GET /api/antiforgery</c>).
/// </summary>
internal static class ConsoleSecurity
{
    public const string AntiforgeryHeader = "RequestVerificationToken";

    public static IServiceCollection AddConsoleSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConsoleSecurityOptions>().Bind(configuration.GetSection("Console"))
            .Validate(o => !string.IsNullOrEmpty(o.Password), "Console:Password is required: the console purges queues and kills tasks, so it never runs open.")
            .ValidateOnStart();
        services.AddAntiforgery(o =>
        {
            o.HeaderName = AntiforgeryHeader;
            o.Cookie.Name = "console.antiforgery";
        });
        services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(o =>
        {
            o.Cookie.Name = "console.session";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.LoginPath = "/login";
            o.SlidingExpiration = true;
            // The API and its document answer 401/403 instead of redirecting to a login page a script cannot use.
            o.Events.OnRedirectToLogin = context => Reject(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => Reject(context, StatusCodes.Status403Forbidden);
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieAuthenticationDefaults.AuthenticationScheme)
            .Configure<IOptions<ConsoleSecurityOptions>>((cookie, console) => cookie.ExpireTimeSpan = console.Value.SessionLifetime);
        services.AddAuthorization();
        return services;
    }

    private static Task Reject(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/openapi"))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }

        return Task.CompletedTask;
    }

    /// <summary>True when <paramref name="candidate"/> is the operator password (compared in constant time).</summary>
    public static bool IsPassword(ConsoleSecurityOptions options, string? candidate) =>
        candidate is not null && options.Password is { Length: > 0 } password
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    /// <summary>Starts the operator's session.</summary>
    public static Task SignInOperatorAsync(HttpContext context) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator")], CookieAuthenticationDefaults.AuthenticationScheme)));

    /// <summary>
    /// Refuses a request without a valid antiforgery token with 400: the endpoint filter of every API action, so a
    /// page on another site cannot make a logged-in operator's browser act.
    /// </summary>
    public static RouteHandlerBuilder RequireAntiforgery(this RouteHandlerBuilder builder) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
            try
            {
                await antiforgery.ValidateRequestAsync(context.HttpContext).ConfigureAwait(false);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Missing or invalid antiforgery token",
                    detail: $"Send the form's token, or the {AntiforgeryHeader} header from GET /api/antiforgery.");
            }

            return await next(context).ConfigureAwait(false);
        }).ProducesProblem(StatusCodes.Status400BadRequest);
}
