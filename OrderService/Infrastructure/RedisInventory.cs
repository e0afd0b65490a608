using System.Text.Json;
using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;
using StackExchange.Redis;

namespace Onboarding.OrderService.Infrastructure;

/// <summary>
/// Stock and reservations: <c>orders:inventory:stock</c> (hash product → available units) and
/// <c>orders:inventory:reservations:{orderId}</c> (JSON). Reserve and release are Lua scripts, so they are atomic
/// and idempotent by order id: a second reserve answers the first reservation, a second release does nothing.
/// </summary>
internal sealed class RedisInventory(IConnectionMultiplexer redis)
{
    private const string StockKey = RedisOrderStore.Prefix + "inventory:stock";
    private const string ReservationPrefix = RedisOrderStore.Prefix + "inventory:reservations:";

    // KEYS[1] stock hash, KEYS[2] reservation; ARGV: reservation JSON, then product/quantity pairs.
    // Answers the existing reservation, or {err-free} "OK", or "SHORT:<product>" when a product lacks stock.
    private const string ReserveScript = """
        local existing = redis.call('GET', KEYS[2])
        if existing then return existing end
        for i = 2, #ARGV, 2 do
          local available = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
          if available < tonumber(ARGV[i + 1]) then return 'SHORT:' .. ARGV[i] end
        end
        for i = 2, #ARGV, 2 do
          redis.call('HINCRBY', KEYS[1], ARGV[i], -tonumber(ARGV[i + 1]))
        end
        redis.call('SET', KEYS[2], ARGV[1])
        return ARGV[1]
        """;

    // KEYS[1] stock hash, KEYS[2] reservation; ARGV[1] the released reservation JSON. Returns 1 when stock moved back.
    private const string ReleaseScript = """
        local existing = redis.call('GET', KEYS[2])
        if not existing then return 0 end
        local reservation = cjson.decode(existing)
        if reservation.status ~= 'reserved' then return 0 end
        for _, item in ipairs(reservation.items) do
          redis.call('HINCRBY', KEYS[1], item.productId, item.quantity)
        end
        reservation.status = 'released'
        redis.call('SET', KEYS[2], cjson.encode(reservation))
        return 1
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    /// <summary>Seeds each catalog product's stock once (HSETNX): restarts never reset stock.</summary>
    public async Task SeedAsync()
    {
        foreach (var product in Catalog.Products)
        {
            await Db.HashSetAsync(StockKey, product.Id, product.InitialStock, When.NotExists).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyDictionary<string, long>> StockAsync()
    {
        var entries = await Db.HashGetAllAsync(StockKey).ConfigureAwait(false);
        return entries.ToDictionary(e => e.Name.ToString(), e => (long)e.Value, StringComparer.Ordinal);
    }

    /// <summary>Reserves every item or none. Answers the reservation, or the product that lacks stock.</summary>
    public async Task<(ReservationResponse? Reservation, string? ShortProduct)> ReserveAsync(string orderId, IReadOnlyList<ReservationItem> items)
    {
        var reservation = new ReservationResponse(orderId, "reserved", items);
        var args = new List<RedisValue> { JsonSerializer.Serialize(reservation, Json) };
        foreach (var item in items)
        {
            args.Add(item.ProductId);
            args.Add(item.Quantity);
        }

        var result = (string?)await Db.ScriptEvaluateAsync(ReserveScript, [StockKey, ReservationPrefix + orderId], [.. args]).ConfigureAwait(false);
        return result is not null && result.StartsWith("SHORT:", StringComparison.Ordinal)
            ? (null, result["SHORT:".Length..])
            : (JsonSerializer.Deserialize<ReservationResponse>(result!, Json), null);
    }

    public async Task<ReservationResponse?> GetReservationAsync(string orderId)
    {
        var json = await Db.StringGetAsync(ReservationPrefix + orderId).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<ReservationResponse>(json.ToString(), Json);
    }

    /// <summary>Returns reserved stock; idempotent. Null when the order never reserved anything.</summary>
    public async Task<ReservationResponse?> ReleaseAsync(string orderId)
    {
        await Db.ScriptEvaluateAsync(ReleaseScript, [StockKey, ReservationPrefix + orderId]).ConfigureAwait(false);
        return await GetReservationAsync(orderId).ConfigureAwait(false);
    }
}
