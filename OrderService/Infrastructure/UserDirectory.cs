using Microsoft.Extensions.Http.Resilience;
using Onboarding.OrderService.Application;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Onboarding.OrderService.Infrastructure;

/// <summary>
/// Asks UserService whether a user exists (<c>GET http://userservice/api/users/{id}</c>, over service discovery and
/// the standard resilience handler that ServiceDefaults puts on every HttpClient). Answers
/// <see cref="CustomerCheck.Unreachable"/> instead of throwing when UserService cannot answer, so an order is never
/// refused because another service is down.
/// </summary>
internal sealed class UserDirectory(HttpClient http, ILogger<UserDirectory> logger)
{
    public const string ServiceAddress = "http://userservice";

    /// <summary>The options of the standard resilience handler on this client: "&lt;client name&gt;-standard".</summary>
    public const string ResilienceOptionsName = nameof(UserDirectory) + "-standard";

    public async Task<CustomerCheck> CheckAsync(string userId, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync($"/api/users/{Uri.EscapeDataString(userId)}", HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var check = CustomerChecks.FromStatus(response.StatusCode);
            if (check == CustomerCheck.Unreachable)
            {
                OrderServiceLog.UserServiceUnavailable(logger, userId, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return check;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or BrokenCircuitException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            OrderServiceLog.UserServiceUnavailable(logger, userId, ex.GetType().Name);
            return CustomerCheck.Unreachable;
        }
    }
}

internal static class UserDirectoryRegistration
{
    /// <summary>
    /// The typed client, with shorter limits than the standard resilience handler's (30 s): a creation request waits
    /// on this check, so it gives up within about 5 s and the order is accepted unverified; the circuit breaker then
    /// answers at once while UserService stays down.
    /// </summary>
    public static IServiceCollection AddUserDirectory(this IServiceCollection services)
    {
        services.AddHttpClient<UserDirectory>(http => http.BaseAddress = new Uri(UserDirectory.ServiceAddress));
        services.Configure<HttpStandardResilienceOptions>(UserDirectory.ResilienceOptionsName, options =>
        {
            options.AttemptTimeout.Timeout = TimeSpan.FromSeconds(2);
            options.Retry.MaxRetryAttempts = 2;
            options.Retry.Delay = TimeSpan.FromMilliseconds(200);
            options.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(5);
        });
        return services;
    }
}
