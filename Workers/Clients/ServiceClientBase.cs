using System.Net;

namespace Onboarding.Workers.Clients;

/// <summary>
/// Shared behaviour of the typed clients: 5xx and transport errors surface as <see cref="HttpRequestException"/>
/// (the task retries them, after the standard resilience handler's own retries), 404 as
/// <see cref="ResourceNotFoundException"/> and other 4xx as <see cref="ServiceRejectedException"/> (not retried:
/// the same request would fail again).
/// </summary>
internal abstract class ServiceClientBase(HttpClient http)
{
    protected HttpClient Http { get; } = http;

    protected async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, path, cancellationToken).ConfigureAwait(false);
    }

    protected async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync<T>(response, path, cancellationToken).ConfigureAwait(false);
    }

    protected async Task SendAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await ThrowOnErrorAsync(response, path, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        await ThrowOnErrorAsync(response, path, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{path} answered an empty body.");
    }

    private static async Task ThrowOnErrorAsync(HttpResponseMessage response, string path, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new ResourceNotFoundException($"{path} answered 404: {detail}"),
            HttpStatusCode.Conflict => new ServiceRejectedException((int)response.StatusCode, $"{path} answered 409: {detail}"),
            >= HttpStatusCode.InternalServerError or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests =>
                new HttpRequestException($"{path} answered {(int)response.StatusCode}: {detail}", null, response.StatusCode),
            _ => new ServiceRejectedException((int)response.StatusCode, $"{path} answered {(int)response.StatusCode}: {detail}"),
        };
    }
}

/// <summary>The resource a task works on does not exist (anymore); retrying cannot help.</summary>
public sealed class ResourceNotFoundException(string message) : Exception(message);

/// <summary>A service refused the request (4xx); retrying the same request cannot help.</summary>
public sealed class ServiceRejectedException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
