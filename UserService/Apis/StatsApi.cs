using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.UserService.Infrastructure;

namespace Onboarding.UserService.Apis;

/// <summary>Registration statistics (the seed's analytics): <c>/api/stats</c>.</summary>
internal static class StatsApi
{
    private static readonly JsonSerializerOptions RollupJson = new(JsonSerializerDefaults.Web);

    public static RouteGroupBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/stats").WithTags("Stats");
        api.MapGet("/registrations", GetRegistrationsAsync).WithName("GetRegistrationStats")
            .WithSummary("Registrations per UTC day, today, the last 7 days and current users");
        api.MapGet("/registrations/rollup", GetRollupAsync).WithName("GetRegistrationRollup")
            .WithSummary("The latest nightly roll-up of the registration statistics");

        // Used by the nightly periodic task (Workers, rollup_registration_stats) over service discovery.
        api.MapPost("/registrations/rollup", RollupAsync).WithName("RollupRegistrations")
            .WithSummary("Compute the registration statistics and store them as the latest roll-up (idempotent)");
        return api;
    }

    public static async Task<Ok<RegistrationRollupResponse>> RollupAsync(RedisUserStore store, TimeProvider time)
    {
        var stats = (await GetRegistrationsAsync(store, time)).Value!;
        var runs = await store.SaveRollupAsync(JsonSerializer.Serialize(stats, RollupJson));
        return TypedResults.Ok(new RegistrationRollupResponse(runs, stats));
    }

    public static async Task<Results<Ok<RegistrationRollupResponse>, ProblemHttpResult>> GetRollupAsync(RedisUserStore store) =>
        await store.GetRollupAsync() is { } json
            ? TypedResults.Ok(new RegistrationRollupResponse(await store.RollupRunsAsync(), JsonSerializer.Deserialize<RegistrationStatsResponse>(json, RollupJson)!))
            : TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "No roll-up yet",
                detail: "The nightly roll-up has not run yet.");

    public static async Task<Ok<RegistrationStatsResponse>> GetRegistrationsAsync(RedisUserStore store, TimeProvider time)
    {
        var byDay = await store.RegistrationsByDayAsync();
        var now = time.GetUtcNow();
        var today = RedisUserStore.Day(now);
        var lastWeek = Enumerable.Range(0, 7).Select(d => RedisUserStore.Day(now.AddDays(-d))).ToHashSet(StringComparer.Ordinal);
        return TypedResults.Ok(new RegistrationStatsResponse(
            TotalRegistrations: byDay.Values.Sum(),
            CurrentUsers: await store.CountAsync(),
            Today: byDay.GetValueOrDefault(today),
            Last7Days: byDay.Where(e => lastWeek.Contains(e.Key)).Sum(e => e.Value),
            ByDay: byDay,
            GeneratedAt: now));
    }
}

public sealed record RegistrationStatsResponse(
    long TotalRegistrations, long CurrentUsers, long Today, long Last7Days, IReadOnlyDictionary<string, long> ByDay, DateTimeOffset GeneratedAt);

/// <summary>The latest roll-up and how many roll-ups ran so far (one per schedule tick).</summary>
public sealed record RegistrationRollupResponse(long Runs, RegistrationStatsResponse Stats);
