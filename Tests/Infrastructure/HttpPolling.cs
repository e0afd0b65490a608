using System.Text.Json;

namespace Onboarding.Tests.Infrastructure;

/// <summary>
/// Polls a JSON endpoint until its answer satisfies a condition: the end-to-end tests wait for background work this
/// way. Non-success answers are retried (a service may still be starting); on timeout the last answer is in the error.
/// </summary>
internal static class HttpPolling
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public static async Task<JsonElement> UntilAsync(
        HttpClient http, string path, Func<JsonElement, bool> done, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var last = string.Empty;
        try
        {
            while (true)
            {
                using var response = await http.GetAsync(path, deadline.Token);
                var text = await response.Content.ReadAsStringAsync(deadline.Token);
                last = $"{(int)response.StatusCode} {text}";
                if (response.IsSuccessStatusCode)
                {
                    using var document = JsonDocument.Parse(text);
                    if (done(document.RootElement))
                    {
                        return document.RootElement.Clone();
                    }
                }

                await Task.Delay(Interval, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{path} did not reach the expected state in {timeout}; last: {last}");
        }
    }
}
