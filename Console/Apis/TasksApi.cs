using Onboarding.OperationsConsole.Actions;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.OperationsConsole.Security;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>The task list, a task, its workflow, and the actions on a task.</summary>
internal static class TasksApi
{
    public static RouteGroupBuilder MapTasksApi(this RouteGroupBuilder api)
    {
        api.MapGet("/tasks", (TaskIndex index, string? state, string? name, string? worker, string? queue,
                DateTimeOffset? from, DateTimeOffset? to, string? q, int? offset, int? limit) =>
            index.ListAsync(new TaskQuery
            {
                State = state, Name = name, Worker = worker, Queue = queue, From = from, To = to, Search = q,
                Offset = offset ?? 0, Limit = limit ?? 50,
            }))
            .WithSummary("Lists tasks, newest first, filtered by state, name, worker, queue and time, searched by id or argument text.");

        api.MapGet("/tasks/{id}", async (TaskIndex index, string id) =>
                await index.GetAsync(id) is { } task ? Results.Ok(task) : Results.NotFound())
            .WithSummary("One task: arguments, state timeline, worker, queue, result or exception and traceback, parent, root and children.");

        api.MapGet("/workflows/{id}", async (TaskIndex index, IWorkflowStatusReader workflows, string id, CancellationToken ct) =>
                await WorkflowLookup.FindAsync(index, workflows, id, ct) is { } tree ? Results.Ok(tree) : Results.NotFound())
            .WithSummary("The workflow (chain, group, chord) any task belongs to, as a tree of steps with their states.");

        api.MapPost("/tasks/{id}/revoke", async (HttpContext context, TaskActions actions, string id) =>
            {
                await actions.RevokeAsync(id, terminate: false, context.RequestAborted);
                return await ActionOutcome.DoneAsync(context, $"Revoked {id}: it will not start.");
            })
            .RequireAntiforgery().WithSummary("Revokes a task: it is discarded when it reaches a worker.");

        api.MapPost("/tasks/{id}/terminate", async (HttpContext context, TaskActions actions, string id) =>
            {
                await actions.RevokeAsync(id, terminate: true, context.RequestAborted);
                return await ActionOutcome.DoneAsync(context, $"Terminated {id}.");
            })
            .RequireAntiforgery().WithSummary("Revokes a task and stops it where it runs.");

        api.MapPost("/tasks/{id}/retry", async (HttpContext context, TaskActions actions, string id) =>
            {
                string? newId;
                try
                {
                    newId = await actions.RetryAsync(id, context.RequestAborted);
                }
                catch (FormatException ex)
                {
                    return await ActionOutcome.DoneAsync(context, $"Cannot send {id} again: its arguments cannot be read back. {ex.Message}", failed: true);
                }

                return newId is null
                    ? Results.NotFound()
                    : await ActionOutcome.DoneAsync(context, $"Sent again as {newId}.", new { id = newId });
            })
            .RequireAntiforgery().WithSummary("Sends the task again with the same name, arguments and queue, as a child of the original.");
        return api;
    }
}
