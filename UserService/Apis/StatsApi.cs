using Microsoft.AspNetCore.Http.HttpResults;
using Onboarding.UserService.Infrastructure;

namespace Onboarding.UserService.Apis;

/// <summary>Registration statistics (the seed's analytics): <c>/api/stats</c>.</summary>
internal static class StatsApi
{
    public static RouteGroupBuilder MapStatsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/stats").WithTags("Stats");
        api.MapGet("/registrations", GetRegistrationsAsync).WithName("GetRegistrationStats")
            .WithSummary("Registrations per UTC day, today, the last 7 days and current users");
        return api;
    }

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
