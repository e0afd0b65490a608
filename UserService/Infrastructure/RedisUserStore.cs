using System.Globalization;
using System.Text.Json;
using Onboarding.UserService.Application;
using StackExchange.Redis;

namespace Onboarding.UserService.Infrastructure;

/// <summary>
/// Users in Redis under the <c>users:</c> prefix: <c>users:{id}</c> (JSON), <c>users:email:{email}</c> (unique
/// index), <c>users:all</c> (sorted by creation time), <c>users:stats:registrations</c> (count per UTC day), <c>users:stats:rollup</c> and <c>users:stats:rollup-runs</c> (the latest
/// nightly roll-up and how many ran).
/// </summary>
internal sealed class RedisUserStore(IConnectionMultiplexer redis)
{
    private const string Prefix = "users:";
    private static readonly RedisKey AllKey = Prefix + "all";
    private static readonly RedisKey RegistrationsKey = Prefix + "stats:registrations";
    private static readonly RedisKey RollupKey = Prefix + "stats:rollup";
    private static readonly RedisKey RollupRunsKey = Prefix + "stats:rollup-runs";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Stores a new user; false when the email is taken.</summary>
    public async Task<bool> CreateAsync(User user)
    {
        var transaction = Db.CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(EmailKey(user.Email)));
        _ = transaction.StringSetAsync(EmailKey(user.Email), user.Id);
        _ = transaction.StringSetAsync(UserKey(user.Id), JsonSerializer.Serialize(user, Json));
        _ = transaction.SortedSetAddAsync(AllKey, user.Id, user.CreatedAt.ToUnixTimeMilliseconds());
        _ = transaction.HashIncrementAsync(RegistrationsKey, Day(user.CreatedAt));
        return await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    public async Task<User?> GetAsync(string id)
    {
        var json = await Db.StringGetAsync(UserKey(id)).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<User>(json.ToString(), Json);
    }

    public async Task<User?> FindByEmailAsync(string normalizedEmail)
    {
        var id = await Db.StringGetAsync(EmailKey(normalizedEmail)).ConfigureAwait(false);
        return id.IsNullOrEmpty ? null : await GetAsync(id.ToString()).ConfigureAwait(false);
    }

    public async Task<(IReadOnlyList<User> Users, long Total)> ListAsync(int skip, int take)
    {
        var ids = await Db.SortedSetRangeByRankAsync(AllKey, skip, skip + take - 1).ConfigureAwait(false);
        var total = await Db.SortedSetLengthAsync(AllKey).ConfigureAwait(false);
        var users = new List<User>(ids.Length);
        foreach (var id in ids)
        {
            if (await GetAsync(id.ToString()).ConfigureAwait(false) is { } user)
            {
                users.Add(user);
            }
        }

        return (users, total);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the stored user under optimistic concurrency: the write lands only if
    /// the stored JSON did not change meanwhile, else the change is applied again to the fresh copy (parallel
    /// onboarding steps update one user at once). Answers the stored user, or null when the user is unknown.
    /// Returning the same instance from <paramref name="change"/> writes nothing.
    /// </summary>
    public async Task<User?> UpdateAsync(string id, Func<User, User> change)
    {
        for (var attempt = 0; ; attempt++)
        {
            var json = await Db.StringGetAsync(UserKey(id)).ConfigureAwait(false);
            if (json.IsNullOrEmpty)
            {
                return null;
            }

            var current = JsonSerializer.Deserialize<User>(json.ToString(), Json)!;
            var updated = change(current);
            if (ReferenceEquals(updated, current))
            {
                return current;
            }

            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(UserKey(id), json));
            _ = transaction.StringSetAsync(UserKey(id), JsonSerializer.Serialize(updated, Json));
            if (await transaction.ExecuteAsync().ConfigureAwait(false))
            {
                return updated;
            }

            if (attempt >= 50)
            {
                throw new InvalidOperationException($"User {id} changed concurrently {attempt} times in a row.");
            }
        }
    }

    /// <summary>Removes the user and its index entries; registration counts stay (they are history).</summary>
    public async Task<User?> DeleteAsync(string id)
    {
        var user = await GetAsync(id).ConfigureAwait(false);
        if (user is null)
        {
            return null;
        }

        var transaction = Db.CreateTransaction();
        _ = transaction.KeyDeleteAsync(UserKey(id));
        _ = transaction.KeyDeleteAsync(EmailKey(user.Email));
        _ = transaction.SortedSetRemoveAsync(AllKey, id);
        await transaction.ExecuteAsync().ConfigureAwait(false);
        return user;
    }

    /// <summary>Registrations per UTC day (yyyy-MM-dd), all days recorded.</summary>
    public async Task<IReadOnlyDictionary<string, long>> RegistrationsByDayAsync()
    {
        var entries = await Db.HashGetAllAsync(RegistrationsKey).ConfigureAwait(false);
        return entries
            .OrderBy(e => e.Name.ToString(), StringComparer.Ordinal)
            .ToDictionary(e => e.Name.ToString(), e => (long)e.Value, StringComparer.Ordinal);
    }

    public Task<long> CountAsync() => Db.SortedSetLengthAsync(AllKey);

    /// <summary>Stores the latest roll-up and counts the runs; answers the run number.</summary>
    public async Task<long> SaveRollupAsync(string json)
    {
        await Db.StringSetAsync(RollupKey, json).ConfigureAwait(false);
        return await Db.StringIncrementAsync(RollupRunsKey).ConfigureAwait(false);
    }

    public async Task<long> RollupRunsAsync() => (long)await Db.StringGetAsync(RollupRunsKey).ConfigureAwait(false);

    public async Task<string?> GetRollupAsync() => (string?)await Db.StringGetAsync(RollupKey).ConfigureAwait(false);

    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static RedisKey UserKey(string id) => Prefix + id;

    private static RedisKey EmailKey(string email) => Prefix + "email:" + email;
}
