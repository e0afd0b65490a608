using System.Collections;
using System.Text.Json;

namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// The read-only list behind every list property of the canvas records: a private copy (so a caller's list can't
/// change a record later) with structural equality (so records compare by value, <see cref="JsonElement"/>s by content).
/// </summary>
internal sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items;

    private ValueList(T[] items) => _items = items;

    public static ValueList<T> Empty { get; } = new([]);

    public static IReadOnlyList<T> From(IEnumerable<T> items) => items switch
    {
        ValueList<T> list => list,
        _ => items.ToArray() is { Length: > 0 } array ? new ValueList<T>(array) : Empty,
    };

    public T this[int index] => _items[index];

    public int Count => _items.Length;

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(ValueList<T>? other) =>
        other is not null && _items.AsSpan().SequenceEqual(other._items, ValueComparer<T>.Instance);

    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(_items.Length);
        foreach (var item in _items)
        {
            hash.Add(item, ValueComparer<T>.Instance);
        }

        return hash.ToHashCode();
    }
}

/// <summary>A private, ordered copy of a JSON object (kwargs, headers, unknown keys) with structural equality.</summary>
internal sealed class ValueMap : IReadOnlyDictionary<string, JsonElement>, IEquatable<ValueMap>
{
    private readonly KeyValuePair<string, JsonElement>[] _entries;
    private readonly Dictionary<string, JsonElement> _lookup;

    private ValueMap(KeyValuePair<string, JsonElement>[] entries)
    {
        _entries = entries;
        _lookup = new Dictionary<string, JsonElement>(entries, StringComparer.Ordinal);
    }

    public static ValueMap Empty { get; } = new([]);

    /// <summary>Copies <paramref name="entries"/>, keeping their order (the last value wins for a repeated key).</summary>
    public static IReadOnlyDictionary<string, JsonElement> From(IEnumerable<KeyValuePair<string, JsonElement>> entries)
    {
        if (entries is ValueMap map)
        {
            return map;
        }

        var ordered = new List<KeyValuePair<string, JsonElement>>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            if (positions.TryGetValue(key, out var position))
            {
                ordered[position] = new(key, value);
            }
            else
            {
                positions[key] = ordered.Count;
                ordered.Add(new(key, value));
            }
        }

        return ordered.Count == 0 ? Empty : new ValueMap([.. ordered]);
    }

    public JsonElement this[string key] => _lookup[key];

    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public IEnumerable<JsonElement> Values => _entries.Select(e => e.Value);

    public int Count => _entries.Length;

    public bool ContainsKey(string key) => _lookup.ContainsKey(key);

    public bool TryGetValue(string key, out JsonElement value) => _lookup.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<string, JsonElement>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, JsonElement>>)_entries).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _entries.GetEnumerator();

    /// <summary>Equal when both have the same keys with deep-equal values (order is not significant, as for a dict).</summary>
    public bool Equals(ValueMap? other) =>
        other is not null
        && other.Count == Count
        && _entries.All(e => other._lookup.TryGetValue(e.Key, out var value) && JsonElement.DeepEquals(e.Value, value));

    public override bool Equals(object? obj) => obj is ValueMap other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 0;
        foreach (var (key, value) in _entries)
        {
            hash ^= HashCode.Combine(StringComparer.Ordinal.GetHashCode(key), value.ValueKind);
        }

        return hash;
    }
}

/// <summary>Default equality, except <see cref="JsonElement"/>, which compares by content.</summary>
internal sealed class ValueComparer<T> : IEqualityComparer<T>
{
    public static ValueComparer<T> Instance { get; } = new();

    public bool Equals(T? x, T? y) => x is JsonElement a && y is JsonElement b
        ? JsonElement.DeepEquals(a, b)
        : EqualityComparer<T>.Default.Equals(x, y);

    public int GetHashCode(T obj) => obj switch
    {
        null => 0,
        // Equal elements can differ in raw text (1 vs 1.0), so hash only what DeepEquals always agrees on.
        JsonElement element => element.ValueKind.GetHashCode(),
        _ => EqualityComparer<T>.Default.GetHashCode(obj),
    };
}
