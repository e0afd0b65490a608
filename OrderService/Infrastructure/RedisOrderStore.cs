using System.Text.Json;
using StackExchange.Redis;
using Order = Onboarding.OrderService.Application.Order;

namespace Onboarding.OrderService.Infrastructure;

/// <summary>
/// Orders in Redis under the <c>orders:</c> prefix: <c>orders:{id}</c> (JSON) and <c>orders:all</c> (sorted by
/// creation time), <c>orders:customers:{userId}</c> (a cached snapshot of the customer's contact, written when an
/// order is placed and dropped when the user changes or is deleted).
/// </summary>
internal sealed class RedisOrderStore(IConnectionMultiplexer redis)
{
    public const string Prefix = "orders:";
    private static readonly RedisKey AllKey = Prefix + "all";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    public async Task CreateAsync(Order order)
    {
        var transaction = Db.CreateTransaction();
        _ = transaction.StringSetAsync(OrderKey(order.Id), JsonSerializer.Serialize(order, Json));
        _ = transaction.SortedSetAddAsync(AllKey, order.Id, order.CreatedAt.ToUnixTimeMilliseconds());
        _ = transaction.StringSetAsync(CustomerKey(order.UserId),
            JsonSerializer.Serialize(new CustomerSnapshot(order.UserId, order.CustomerEmail, order.CreatedAt), Json), TimeSpan.FromDays(1));
        await transaction.ExecuteAsync().ConfigureAwait(false);
    }

    /// <summary>Drops the cached customer snapshot (the user changed); true when one was cached.</summary>
    public Task<bool> InvalidateCustomerAsync(string userId) => Db.KeyDeleteAsync(CustomerKey(userId));

    /// <summary>Deletes the orders (and the snapshot) of a user; answers the deleted orders.</summary>
    public async Task<IReadOnlyList<Order>> DeleteUserDataAsync(string userId)
    {
        var (orders, _) = await ListAsync(userId, null, 0, int.MaxValue).ConfigureAwait(false);
        var transaction = Db.CreateTransaction();
        foreach (var order in orders)
        {
            _ = transaction.KeyDeleteAsync(OrderKey(order.Id));
            _ = transaction.SortedSetRemoveAsync(AllKey, order.Id);
        }

        _ = transaction.KeyDeleteAsync(CustomerKey(userId));
        await transaction.ExecuteAsync().ConfigureAwait(false);
        return orders;
    }

    public async Task<Order?> GetAsync(string id)
    {
        var json = await Db.StringGetAsync(OrderKey(id)).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<Order>(json.ToString(), Json);
    }

    public async Task<(IReadOnlyList<Order> Orders, long Total)> ListAsync(string? userId, string? status, int skip, int take)
    {
        // Newest first; filters apply to a bounded window, enough for a demo-sized store.
        var ids = await Db.SortedSetRangeByRankAsync(AllKey, 0, 999, StackExchange.Redis.Order.Descending).ConfigureAwait(false);
        var matches = new List<Order>();
        foreach (var id in ids)
        {
            if (await GetAsync(id.ToString()).ConfigureAwait(false) is { } order
                && (userId is null || order.UserId == userId) && (status is null || order.Status == status))
            {
                matches.Add(order);
            }
        }

        return ([.. matches.Skip(skip).Take(take)], matches.Count);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the stored order under optimistic concurrency (WATCH-like: the write
    /// only lands if the JSON did not change meanwhile), retrying on conflict. Null when the order is unknown.
    /// </summary>
    public async Task<Order?> UpdateAsync(string id, Func<Order, Order> change)
    {
        for (var attempt = 0; ; attempt++)
        {
            var json = await Db.StringGetAsync(OrderKey(id)).ConfigureAwait(false);
            if (json.IsNullOrEmpty)
            {
                return null;
            }

            var current = JsonSerializer.Deserialize<Order>(json.ToString(), Json)!;
            var updated = change(current);
            if (ReferenceEquals(updated, current))
            {
                return current;
            }

            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.StringEqual(OrderKey(id), json));
            _ = transaction.StringSetAsync(OrderKey(id), JsonSerializer.Serialize(updated, Json));
            if (await transaction.ExecuteAsync().ConfigureAwait(false) || attempt >= 20)
            {
                return updated;
            }
        }
    }

    private static RedisKey OrderKey(string id) => Prefix + id;

    private static RedisKey CustomerKey(string userId) => Prefix + "customers:" + userId;
}

/// <summary>What OrderService last saw of a customer (cached; the user's service owns the truth).</summary>
internal sealed record CustomerSnapshot(string UserId, string Email, DateTimeOffset LastOrderAt);
