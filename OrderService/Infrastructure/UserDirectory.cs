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
