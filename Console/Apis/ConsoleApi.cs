using Microsoft.AspNetCore.Antiforgery;
using Onboarding.OperationsConsole.Fleet;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.OperationsConsole.Security;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>Everything under <c>/api</c>: behind the login, in the OpenAPI document.</summary>
internal static class ConsoleApi
{
    private static readonly TimeSpan LiveInterval = TimeSpan.FromSeconds(1);

    public static WebApplication MapConsoleApi(this WebApplication app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().WithTags("Console");

        api.MapGet("/antiforgery", (HttpContext context, IAntiforgery antiforgery) =>
                new { headerName = ConsoleSecurity.AntiforgeryHeader, token = antiforgery.GetAndStoreTokens(context).RequestToken })
            .WithSummary("An antiforgery token for API clients: send it in the RequestVerificationToken header of every POST.");

        api.MapGet("/overview", async (TaskIndex index, WorkerHeartbeats heartbeats, IngestionStatus status, TimeProvider time) =>
            {
                var now = time.GetUtcNow();
                var workers = await heartbeats.GetAllAsync();
                return new
                {
                    workersOnline = workers.Count(w => w.IsOnline(now)),
                    workersOffline = workers.Count(w => !w.IsOnline(now)),
                    tasks = await index.CountAsync(),
                    perMinute = (await index.GetRatesAsync(30)).Select(r => new { minute = r.Minute, succeeded = r.Succeeded, failed = r.Failed, retried = r.Retried }),
                    ingestion = new { status.Received, status.Dropped, sampling = status.IsSampling, connected = status.Connected },
                };
            })
            .WithSummary("Workers online and offline, tasks indexed, tasks succeeded/failed/retried per minute, and whether ingestion keeps up.");

        // Server-sent events: one "changed" message at most every second while the index changes; the pages then
        // re-render their live part.
        api.MapGet("/live", async (HttpContext context, IngestionStatus status, IHostApplicationLifetime lifetime, CancellationToken aborted) =>
            {
                // Open streams end when the console stops, so they do not hold up its graceful shutdown.
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, lifetime.ApplicationStopping);
                var ct = linked.Token;
                context.Response.Headers.ContentType = "text/event-stream";
                context.Response.Headers.CacheControl = "no-cache";
                var seen = status.Version;
                await context.Response.WriteAsync("retry: 3000\n\n", ct);
                await context.Response.Body.FlushAsync(ct);
                using var timer = new PeriodicTimer(LiveInterval);
                try
                {
                    while (await timer.WaitForNextTickAsync(ct))
                    {
                        if (status.Version != seen)
                        {
                            seen = status.Version;
                            await context.Response.WriteAsync($"event: changed\ndata: {seen}\n\n", ct);
                            await context.Response.Body.FlushAsync(ct);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The page went away.
                }
            })
            .ExcludeFromDescription();

        api.MapTasksApi();
        api.MapWorkersApi();
        api.MapQueuesApi();
        api.MapDeadLettersApi();
        api.MapSchedulesApi();
        return app;
    }
}
