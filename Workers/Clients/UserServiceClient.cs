using Onboarding.Contracts.Http;

namespace Onboarding.Workers.Clients;

/// <summary>UserService over service discovery (<c>http://userservice</c>).</summary>
internal sealed class UserServiceClient(HttpClient http) : ServiceClientBase(http)
{
    public Task<UserResponse> GetUserAsync(string userId, CancellationToken cancellationToken) =>
        GetAsync<UserResponse>($"/api/users/{Uri.EscapeDataString(userId)}", cancellationToken);

    public Task<UserResponse> CompleteStepAsync(string userId, string step, CancellationToken cancellationToken) =>
        SendAsync<UserResponse>(HttpMethod.Post, $"/api/users/{Uri.EscapeDataString(userId)}/onboarding/steps/{step}", null, cancellationToken);

    public Task<UserResponse> AssignRoleAsync(string userId, string role, CancellationToken cancellationToken) =>
        SendAsync<UserResponse>(HttpMethod.Put, $"/api/users/{Uri.EscapeDataString(userId)}/role", new AssignRoleRequest(role), cancellationToken);

    /// <summary>Periodic maintenance: <c>POST /api/stats/registrations/rollup</c>; answers the service's JSON report.</summary>
    public Task<System.Text.Json.JsonElement> RollupRegistrationsAsync(CancellationToken cancellationToken) =>
        SendAsync<System.Text.Json.JsonElement>(HttpMethod.Post, "/api/stats/registrations/rollup", null, cancellationToken);
}
