using System.Text.Json;
using Onboarding.Contracts.Http;
using StackExchange.Redis;

namespace Onboarding.OrderService.Infrastructure;

/// <summary>
/// The payment provider's state: <c>orders:payments:{orderId}</c> (the outcome, so a retried charge answers the
/// first outcome and never charges twice) and <c>orders:payments:outage</c> (calls left to fail with 503).
/// </summary>
internal sealed class RedisPayments(IConnectionMultiplexer redis)
{
    private const string PaymentPrefix = RedisOrderStore.Prefix + "payments:";
    private static readonly RedisKey OutageKey = PaymentPrefix + "outage";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private IDatabase Db => redis.GetDatabase();

    public Task SetOutageAsync(int calls) => calls > 0 ? Db.StringSetAsync(OutageKey, calls) : Db.KeyDeleteAsync(OutageKey);

    /// <summary>True when this call falls in a simulated outage (and uses one of its calls up).</summary>
    public async Task<bool> TakeOutageCallAsync()
    {
        var left = await Db.StringDecrementAsync(OutageKey).ConfigureAwait(false);
        if (left < 0)
        {
            await Db.KeyDeleteAsync(OutageKey).ConfigureAwait(false);
            return false;
        }

        return true;
    }

    /// <summary>Stores the outcome unless one exists; answers the stored one.</summary>
    public async Task<PaymentResponse> RecordAsync(PaymentResponse payment)
    {
        var key = PaymentPrefix + payment.OrderId;
        await Db.StringSetAsync(key, JsonSerializer.Serialize(payment, Json), when: When.NotExists).ConfigureAwait(false);
        return JsonSerializer.Deserialize<PaymentResponse>((await Db.StringGetAsync(key).ConfigureAwait(false)).ToString(), Json)!;
    }

    public async Task<PaymentResponse?> GetAsync(string orderId)
    {
        var json = await Db.StringGetAsync(PaymentPrefix + orderId).ConfigureAwait(false);
        return json.IsNullOrEmpty ? null : JsonSerializer.Deserialize<PaymentResponse>(json.ToString(), Json);
    }
}
