using System.Text.Json;
using Onboarding.Contracts.Http;
using Onboarding.NotificationService.Application;
using StackExchange.Redis;

namespace Onboarding.NotificationService.Infrastructure;

/// <summary>
/// Notifications in Redis under the <c>notifications:</c> prefix: <c>notifications:{id}</c> (JSON),
/// <c>notifications:recipient:{email}</c> (ids, newest first), <c>notifications:idempotency:{key}</c> (id of the
/// notification a key produced), <c>notifications:preferences:{userId}</c> and
/// <c>notifications:user-updates:{userId}</c>, <c>notifications:failed</c> (ids whose send failed),
/// <c>notifications:batch:{taskId}</c> (the batch sends this service started), <c>notifications:forgotten:{userId}</c>
/// (deleted users, so that an email still on its way for them is not kept).
/// </summary>
internal sealed class RedisNotificationStore(IConnectionMultiplexer redis)
{
    private const string Prefix = "notifications:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Claims an idempotency key for <paramref name="id"/>; answers the id that holds it.</summary>
    public async Task<string> ClaimAsync(string key, string id)
    {
        var redisKey = Prefix + "idempotency:" + key;
        if (await Db.StringSetAsync(redisKey, id, TimeSpan.FromDays(7), When.NotExists).ConfigureAwait(false))
        {
            return id;
        }

        return (await Db.StringGetAsync(redisKey).ConfigureAwait(false)).ToString();
    }

    public async Task SaveAsync(NotificationResponse notification, bool isNew)
    {
        await Db.StringSetAsync(Prefix + notification.Id, JsonSerializer.Serialize(notification, Json)).ConfigureAwait(false);
        _ = notification.Status == NotificationStatuses.Failed
            ? await Db.SetAddAsync(FailedKey, notification.Id).ConfigureAwait(false)
            : await Db.SetRemoveAsync(FailedKey, notification.Id).ConfigureAwait(false);
        if (isNew)
        {
            await Db.ListLeftPushAsync(RecipientKey(notification.Recipient), notification.Id).ConfigureAwait(false);
        }
    }

    /// <summary>The ids of the notifications whose last send failed (retried by a periodic task).</summary>
    public async Task<IReadOnlyList<string>> FailedIdsAsync(int take) =>
        [.. (await Db.SetRandomMembersAsync(FailedKey, take).ConfigureAwait(false)).Select(id => id.ToString())];

    public async Task<NotificationResponse?> GetAsync(string id)
    {
        var json = await Db.StringGetAsync(Prefix + id).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<NotificationResponse>(json.ToString(), Json);
    }

    public async Task<IReadOnlyList<NotificationResponse>> ListAsync(string recipient, int take)
    {
        var ids = await Db.ListRangeAsync(RecipientKey(recipient), 0, take - 1).ConfigureAwait(false);
        var list = new List<NotificationResponse>(ids.Length);
        foreach (var id in ids)
        {
            if (await GetAsync(id.ToString()).ConfigureAwait(false) is { } notification)
            {
                list.Add(notification);
            }
        }

        return list;
    }

    /// <summary>The user's preferences, or null when this service has none (no such user, or not created yet).</summary>
    public async Task<NotificationPreferencesDto?> FindPreferencesAsync(string userId)
    {
        var json = await Db.StringGetAsync(Prefix + "preferences:" + userId).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<NotificationPreferencesDto>(json.ToString(), Json);
    }

    /// <summary>Records a batch send's task id, kept as long as idempotency keys (7 days).</summary>
    public Task RecordBatchAsync(string taskId) => Db.StringSetAsync(Prefix + "batch:" + taskId, 1, TimeSpan.FromDays(7));

    public Task<bool> IsBatchAsync(string taskId) => Db.KeyExistsAsync(Prefix + "batch:" + taskId);

    public async Task<NotificationPreferencesDto> GetPreferencesAsync(string userId)
    {
        var json = await Db.StringGetAsync(Prefix + "preferences:" + userId).ConfigureAwait(false);
        return json.IsNullOrEmpty ? NotificationCategories.Defaults : JsonSerializer.Deserialize<NotificationPreferencesDto>(json.ToString(), Json)!;
    }

    public Task SavePreferencesAsync(string userId, NotificationPreferencesDto preferences) =>
        Db.StringSetAsync(Prefix + "preferences:" + userId, JsonSerializer.Serialize(preferences, Json));

    /// <summary>
    /// Stores <paramref name="defaults"/> unless the user has preferences or was deleted (a <c>user.created</c> handled
    /// after the <c>user.deleted</c> must not bring their data back); true when it stored them.
    /// </summary>
    public async Task<bool> EnsurePreferencesAsync(string userId, NotificationPreferencesDto defaults) =>
        (long)await Db.ScriptEvaluateAsync(SetUnlessForgotten,
            [Prefix + "preferences:" + userId, ForgottenKey(userId)], [JsonSerializer.Serialize(defaults, Json), "NX"]).ConfigureAwait(false) == 1;

    /// <summary>
    /// How long a deleted user is remembered as deleted: longer than any email task for them can still be on its way
    /// (retries back off to 2 minutes, 12 at most; a dead letter replayed within days).
    /// </summary>
    public static readonly TimeSpan ForgottenFor = TimeSpan.FromDays(30);

    /// <summary>Whether the user was deleted: nothing more is kept for them.</summary>
    public Task<bool> IsForgottenAsync(string userId) => Db.KeyExistsAsync(ForgottenKey(userId));

    /// <summary>Removes one notification (one kept after its user was deleted).</summary>
    public Task RemoveAsync(NotificationResponse notification) => Task.WhenAll(
        Db.KeyDeleteAsync(Prefix + notification.Id),
        Db.ListRemoveAsync(RecipientKey(notification.Recipient), notification.Id),
        Db.SetRemoveAsync(FailedKey, notification.Id));

    /// <summary>
    /// Deletes everything kept about a user (GDPR): preferences, update log, notifications to their email. The user is
    /// marked deleted first, so that a send racing this clean-up either is listed here or sees the mark after it saved.
    /// </summary>
    public async Task<int> DeleteUserDataAsync(string userId, string email)
    {
        await Db.StringSetAsync(ForgottenKey(userId), 1, ForgottenFor).ConfigureAwait(false);
        var recipient = RecipientKey(email);
        var ids = await Db.ListRangeAsync(recipient).ConfigureAwait(false);
        RedisKey[] keys =
        [
            Prefix + "preferences:" + userId,
            Prefix + "user-updates:" + userId,
            recipient,
            .. ids.Select(id => (RedisKey)(Prefix + id.ToString())),
        ];
        await Db.KeyDeleteAsync(keys).ConfigureAwait(false);
        return ids.Length;
    }

    /// <summary>Records the user's last profile change, unless the user was deleted.</summary>
    public Task RecordUserUpdateAsync(string userId, UserUpdatedNotification update, DateTimeOffset at) =>
        Db.ScriptEvaluateAsync(SetUnlessForgotten,
            [Prefix + "user-updates:" + userId, ForgottenKey(userId)], [JsonSerializer.Serialize(new { update, at }, Json), string.Empty]);

    // KEYS[1] the value's key, KEYS[2] the user's deleted mark; ARGV[1] the value, ARGV[2] "NX" to keep an existing
    // value. One script, so that a clean-up cannot run between the check and the write. 1 when written.
    private const string SetUnlessForgotten = """
        if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
        if ARGV[2] == 'NX' then
          return redis.call('SET', KEYS[1], ARGV[1], 'NX') and 1 or 0
        end
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
        """;

    private static readonly RedisKey FailedKey = Prefix + "failed";

    private static RedisKey ForgottenKey(string userId) => Prefix + "forgotten:" + userId;

    private static RedisKey RecipientKey(string recipient) => Prefix + "recipient:" + recipient.Trim().ToLowerInvariant();
}
