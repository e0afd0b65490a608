using System.Text.Json;
using Onboarding.Contracts.Events;

namespace Onboarding.UserService.Events;

/// <summary>Builds envelopes with this service as the source.</summary>
internal static class UserEvents
{
    public const string SourceService = "user_service";

    /// <summary>Event data as the seed writes it: snake_case keys (user_id, changed_fields, ...).</summary>
    public static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static UserEventEnvelope<TData> Create<TData>(string eventType, string userId, TData data, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return new UserEventEnvelope<TData>(Guid.CreateVersion7(now).ToString(), eventType, userId, data, now, SourceService);
    }
}
