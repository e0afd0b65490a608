using Onboarding.OperationsConsole.Schedules;
using Onboarding.OperationsConsole.Security;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>The periodic tasks the workers' schedulers declare, who holds the scheduler lease, and Run now.</summary>
internal static class SchedulesApi
{
    public static RouteGroupBuilder MapSchedulesApi(this RouteGroupBuilder api)
    {
        api.MapGet("/schedules", async (ScheduleActions schedules, CancellationToken ct) =>
            {
                var state = await schedules.ReadAsync(ct);
                var runs = await schedules.ManualRunsAsync(state.Entries.Select(e => e.Name));
                return new
                {
                    state.LeaseHolder,
                    state.LeaseOwner,
                    state.LeaseExpiresIn,
                    entries = state.Entries.Select(e => new
                    {
                        e.Name, e.TaskName, e.Schedule, e.Args, e.Kwargs, e.Queue, e.ExpiresIn, e.LastRun, e.NextRun, e.DeclaredBy, e.RecordedAt,
                        manualRuns = runs.GetValueOrDefault(e.Name) ?? [],
                    }),
                };
            })
            .WithSummary("Every periodic task: its task, schedule, arguments, last and next run, the ids Run now sent; and which node's scheduler holds the lease.");

        api.MapPost("/schedules/{name}/run", async (HttpContext context, ScheduleActions schedules, string name) =>
            {
                var id = await schedules.RunNowAsync(name, context.RequestAborted);
                return id is null
                    ? await ActionOutcome.DoneAsync(context, $"No periodic task named {name}.", failed: true, status: StatusCodes.Status404NotFound)
                    : await ActionOutcome.DoneAsync(context, $"Sent {name} now as {id}.", new { id });
            })
            .RequireAntiforgery().WithSummary("Sends the periodic task once, now, with its configured arguments; its schedule is unchanged.");
        return api;
    }
}
