using System.Text.Json;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.Tests.TaskEngine.InMemory;

/// <summary>
/// The workflow store in memory, for unit tests only, with the Redis store's rules: a part's task id counts once, the
/// size and parts go when the chord fired, the <c>.fired</c> flag and the counted ids stay.
/// </summary>
internal sealed class InMemoryWorkflowStore : IWorkflowStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _sizes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<(double Score, string Member)>> _parts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _counted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _fired = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string>> _index = new(StringComparer.Ordinal);

    public Task SetChordSizeAsync(string groupId, int size, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _sizes[groupId] = size;
        }

        return Task.CompletedTask;
    }

    public Task SaveGroupAsync(string groupId, string json, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _groups[groupId] = json;
        }

        return Task.CompletedTask;
    }

    public Task<string?> GetGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_groups.GetValueOrDefault(groupId));
        }
    }

    public Task<ChordPartReturn> AddChordPartAsync(string groupId, int? groupIndex, string member, string taskId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_counted.TryGetValue(groupId, out var counted))
            {
                _counted[groupId] = counted = new HashSet<string>(StringComparer.Ordinal);
            }

            if (!_parts.TryGetValue(groupId, out var parts))
            {
                _parts[groupId] = parts = [];
            }

            if (counted.Add(taskId))
            {
                parts.Add((groupIndex ?? double.PositiveInfinity, member));
            }

            long? size = _sizes.TryGetValue(groupId, out var known) ? known : null;
            return Task.FromResult(new ChordPartReturn(parts.Count, 0, size));
        }
    }

    public Task<bool> TryTakeFiredAsync(string groupId, string taskId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_fired.TryAdd(groupId, taskId));
        }
    }

    public Task<string?> GetFiredByAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_fired.GetValueOrDefault(groupId));
        }
    }

    public Task<IReadOnlyList<ChordMember>> GetChordPartsAsync(string groupId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var parts = _parts.TryGetValue(groupId, out var list) ? list.OrderBy(part => part.Score).ToList() : [];
            return Task.FromResult<IReadOnlyList<ChordMember>>([.. parts.Select(part =>
            {
                using var document = JsonDocument.Parse(part.Member);
                var root = document.RootElement;
                return new ChordMember(root[1].GetString() ?? string.Empty, root[2].GetString() ?? string.Empty, root[3].Clone());
            })]);
        }
    }

    public Task DeleteChordAsync(string groupId)
    {
        lock (_gate)
        {
            _parts.Remove(groupId);
            _sizes.Remove(groupId);
        }

        return Task.CompletedTask;
    }

    public Task IndexAsync(string rootId, IReadOnlyList<KeyValuePair<string, string>> entries, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_index.TryGetValue(rootId, out var index))
            {
                _index[rootId] = index = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            foreach (var (field, value) in entries)
            {
                index.TryAdd(field, value);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<KeyValuePair<string, string>>> GetIndexAsync(string rootId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<KeyValuePair<string, string>>>(_index.TryGetValue(rootId, out var index) ? [.. index] : []);
        }
    }
}
