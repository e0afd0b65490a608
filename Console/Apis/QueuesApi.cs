using Onboarding.OperationsConsole.Queues;
using Onboarding.OperationsConsole.Security;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>The broker's queues and purging one.</summary>
internal static class QueuesApi
{
    public static RouteGroupBuilder MapQueuesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/queues", (QueueMonitor queues, CancellationToken ct) => queues.GetQueuesAsync(ct))
            .WithSummary("Every queue's ready and unacknowledged messages, consumers and publish/deliver rates, with the source used and what it cannot give.");

        api.MapPost("/queues/{queue}/purge", async (HttpContext context, QueueMonitor queues, string queue) =>
            {
                var purged = await queues.PurgeAsync(queue, context.RequestAborted);
                return purged is { } count
                    ? await ActionOutcome.DoneAsync(context, $"Purged {count:N0} ready message(s) from {queue}.", new { queue, purged = count })
                    : await ActionOutcome.DoneAsync(context, $"There is no queue named {queue}.", failed: true, status: StatusCodes.Status404NotFound);
            })
            .RequireAntiforgery().WithSummary("Deletes every ready message of the queue for good; messages held by workers stay.");
        return api;
    }
}
