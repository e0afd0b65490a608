using Onboarding.OperationsConsole.DeadLetters;
using Onboarding.OperationsConsole.Security;

namespace Onboarding.OperationsConsole.Apis;

/// <summary>The dead-letter queue: list, replay and discard, one message, the selected ones or all.</summary>
internal static class DeadLettersApi
{
    public static RouteGroupBuilder MapDeadLettersApi(this RouteGroupBuilder api)
    {
        api.MapGet("/dead-letters", async (DeadLetterActions letters, int? limit, CancellationToken ct) =>
            {
                var (count, list) = await letters.ListAsync(limit ?? 100, ct);
                return new { count, letters = list };
            })
            .WithSummary("The dead letters from the head of the queue (limit, at most 500): task, id, reason, exception, original queue, time, headers and body.");

        api.MapPost("/dead-letters/{id}/replay", async (HttpContext context, DeadLetterActions letters, string id) =>
                await OutcomeAsync(context, await letters.ReplayAsync([id], context.RequestAborted), "Replayed", id))
            .RequireAntiforgery().WithSummary("Sends the dead letter(s) with this id back to the queue they came from.");

        api.MapPost("/dead-letters/{id}/discard", async (HttpContext context, DeadLetterActions letters, string id) =>
                await OutcomeAsync(context, await letters.DiscardAsync([id], context.RequestAborted), "Discarded", id))
            .RequireAntiforgery().WithSummary("Deletes the dead letter(s) with this id for good.");

        api.MapPost("/dead-letters/replay", async (HttpContext context, DeadLetterActions letters) =>
                await SelectionAsync(context, letters.ReplayAsync, "Replayed"))
            .RequireAntiforgery().WithSummary("Replays the selected dead letters (id, repeated, in the form or the query) or every one (all=true).");

        api.MapPost("/dead-letters/discard", async (HttpContext context, DeadLetterActions letters) =>
                await SelectionAsync(context, letters.DiscardAsync, "Discarded"))
            .RequireAntiforgery().WithSummary("Discards the selected dead letters (id, repeated, in the form or the query) or every one (all=true).");
        return api;
    }

    private static async Task<IResult> SelectionAsync(HttpContext context,
        Func<IReadOnlyCollection<string>?, CancellationToken, Task<int>> action, string verb)
    {
        IReadOnlyCollection<string>? ids = null;
        var all = string.Equals(await ActionOutcome.FieldAsync(context, "all"), "true", StringComparison.OrdinalIgnoreCase);
        if (!all)
        {
            ids = context.Request.HasFormContentType
                ? [.. (await context.Request.ReadFormAsync(context.RequestAborted)).TryGetValue("id", out var form) ? form.OfType<string>() : []]
                : [.. context.Request.Query["id"].OfType<string>()];
            if (ids.Count == 0)
            {
                return await ActionOutcome.DoneAsync(context, "Select the dead letters first, or choose all.", failed: true);
            }
        }

        var done = await action(ids, context.RequestAborted);
        return await ActionOutcome.DoneAsync(context, $"{verb} {done:N0} dead letter(s).", new { count = done });
    }

    private static async Task<IResult> OutcomeAsync(HttpContext context, int done, string verb, string id) =>
        done == 0
            ? await ActionOutcome.DoneAsync(context, $"No dead letter {id}: replayed or discarded already?", failed: true, status: StatusCodes.Status404NotFound)
            : await ActionOutcome.DoneAsync(context, $"{verb} {id}{(done > 1 ? $" ({done} messages)" : "")}.", new { count = done });
}
