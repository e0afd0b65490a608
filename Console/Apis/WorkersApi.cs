using Onboarding.OperationsConsole.Fleet;
using Onboarding.OperationsConsole.Security;
using Onboarding.TaskEngine.Control;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>The fleet and Celery's remote control commands against one node.</summary>
internal static class WorkersApi
{
    public static RouteGroupBuilder MapWorkersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/workers", (FleetInspector fleet, CancellationToken ct) => fleet.GetWorkersAsync(ct))
            .WithSummary("Every worker: online, queues, concurrency, active and reserved tasks, registered tasks, processed, heartbeat.");

        api.MapPost("/workers/{node}/shutdown", async (HttpContext context, IWorkerControl control, string node) =>
            {
                await control.ShutdownAsync([node], context.RequestAborted);
                return await ActionOutcome.DoneAsync(context, $"Asked {node} to shut down.");
            })
            .RequireAntiforgery().WithSummary("Shuts a worker down gracefully.");

        MapControl(api, "pool-grow", "Runs one more task at once.", async (control, node, _, ct) => await control.PoolGrowAsync(1, For(node), ct));
        MapControl(api, "pool-shrink", "Runs one task fewer at once.", async (control, node, _, ct) => await control.PoolShrinkAsync(1, For(node), ct));
        MapControl(api, "add-consumer", "Starts consuming a queue (form field queue).", async (control, node, context, ct) =>
            await ActionOutcome.FieldAsync(context, "queue") is { Length: > 0 } queue ? await control.AddConsumerAsync(queue, For(node), ct) : null);
        MapControl(api, "cancel-consumer", "Stops consuming a queue (form field queue).", async (control, node, context, ct) =>
            await ActionOutcome.FieldAsync(context, "queue") is { Length: > 0 } queue ? await control.CancelConsumerAsync(queue, For(node), ct) : null);
        MapControl(api, "rate-limit", "Sets a task's rate limit on the worker (fields task and rate, e.g. 10/s; empty removes it).", async (control, node, context, ct) =>
            await ActionOutcome.FieldAsync(context, "task") is { Length: > 0 } task
                ? await control.RateLimitAsync(task, await ActionOutcome.FieldAsync(context, "rate") is { Length: > 0 } rate ? rate : null, For(node), ct)
                : null);
        return api;
    }

    private static ControlOptions For(string node) => new() { Destination = [node], Timeout = TimeSpan.FromSeconds(2) };

    private static void MapControl(RouteGroupBuilder api, string command, string summary,
        Func<IWorkerControl, string, HttpContext, CancellationToken, Task<IReadOnlyList<WorkerReply<ControlResult>>?>> send) =>
        api.MapPost($"/workers/{{node}}/{command}", async (HttpContext context, IWorkerControl control, string node) =>
            {
                var replies = await send(control, node, context, context.RequestAborted);
                if (replies is null)
                {
                    return await ActionOutcome.DoneAsync(context, $"{command}: a required field is missing.", failed: true);
                }

                var reply = replies.FirstOrDefault(r => r.Node == node);
                return reply switch
                {
                    null => await ActionOutcome.DoneAsync(context, $"{node} did not answer {command}.", failed: true),
                    { IsSuccess: false } => await ActionOutcome.DoneAsync(context, $"{node}: {reply.Error}", failed: true),
                    { Value: { Ok: false } value } => await ActionOutcome.DoneAsync(context, $"{node}: {value.Message}", failed: true),
                    _ => await ActionOutcome.DoneAsync(context, $"{node}: {reply.Value?.Message}", reply.Value),
                };
            })
            .RequireAntiforgery().WithSummary(summary);
}
