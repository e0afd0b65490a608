using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Onboarding.TaskEngine.Events;

/// <summary>The handlers this service registered, by event-type pattern; filled at registration, read-only after.</summary>
internal sealed class EventSubscriptions
{
    /// <summary>Event data is the seed's snake_case JSON; reading is case-insensitive.</summary>
    internal static readonly JsonSerializerOptions DataJson = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly List<EventSubscription> _subscriptions = [];

    public IReadOnlyList<EventSubscription> All => _subscriptions;

    /// <summary>The distinct binding patterns, for the queue's bindings.</summary>
    public IEnumerable<string> Patterns => _subscriptions.Select(s => s.Pattern).Distinct(StringComparer.Ordinal);

    public void Add(EventSubscription subscription) => _subscriptions.Add(subscription);

    public IReadOnlyList<EventSubscription> Match(string eventType) =>
        _subscriptions.Where(s => TopicPattern.IsMatch(s.Pattern, eventType)).ToList();
}

/// <summary>One handler bound to one pattern, with a typed invoker (no reflection at dispatch).</summary>
internal sealed record EventSubscription(
    string Pattern,
    Type HandlerType,
    Func<IServiceProvider, EventContext, CancellationToken, Task> InvokeAsync)
{
    public static EventSubscription Create<TEvent, THandler>(string pattern)
        where THandler : class, IEventHandler<TEvent> =>
        new(pattern, typeof(THandler), (services, context, cancellationToken) =>
        {
            var payload = Deserialize<TEvent>(context.Envelope.Data);
            return services.GetRequiredService<THandler>().HandleAsync(payload, context, cancellationToken);
        });

    private static TEvent Deserialize<TEvent>(JsonElement data)
    {
        try
        {
            return data.Deserialize<TEvent>(EventSubscriptions.DataJson)
                ?? throw new EventDecodeException($"The data of the event is null; {typeof(TEvent).Name} expected.");
        }
        catch (JsonException ex)
        {
            throw new EventDecodeException($"The data of the event is not a {typeof(TEvent).Name}: {ex.Message}", ex);
        }
    }
}

/// <summary>The event's body or data cannot be read: retrying cannot help, so it is dead-lettered.</summary>
internal sealed class EventDecodeException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>AMQP topic matching: words split by '.', <c>*</c> is exactly one word, <c>#</c> zero or more.</summary>
internal static class TopicPattern
{
    public static bool IsMatch(string pattern, string routingKey) =>
        Match(pattern.Split('.'), 0, routingKey.Split('.'), 0);

    private static bool Match(string[] pattern, int p, string[] key, int k)
    {
        if (p == pattern.Length)
        {
            return k == key.Length;
        }

        if (pattern[p] == "#")
        {
            for (var skip = k; skip <= key.Length; skip++)
            {
                if (Match(pattern, p + 1, key, skip))
                {
                    return true;
                }
            }

            return false;
        }

        return k < key.Length
            && (pattern[p] == "*" || string.Equals(pattern[p], key[k], StringComparison.Ordinal))
            && Match(pattern, p + 1, key, k + 1);
    }
}
