using System.Collections.Concurrent;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.TaskEngine.Execution;

/// <summary>
/// The worker's copy of the revocations persisted in the result backend, so that the check on receipt costs no round trip:
/// loaded at start, fed by the backend's revocation notices, re-synchronised periodically. When the copy may be stale (the
/// subscription is down or the last sync is too old), the check asks the backend instead.
/// </summary>
internal sealed class RevocationCache(IResultBackend backend, TimeProvider timeProvider)
{
    /// <summary>How often the worker re-reads the index; the copy is trusted for twice as long.</summary>
    public static readonly TimeSpan SyncInterval = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, long> _revoked = new(StringComparer.Ordinal);
    private long _lastSync = long.MinValue;

    public int Count => _revoked.Count;

    /// <summary>The ids known as revoked and not yet expired (remote control's <c>inspect revoked</c>).</summary>
    public IReadOnlyList<string> Ids
    {
        get
        {
            var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            return [.. _revoked.Where(entry => entry.Value > now).Select(entry => entry.Key)];
        }
    }

    public void Add(string taskId) =>
        _revoked[taskId] = (timeProvider.GetUtcNow() + backend.RevokeExpires).ToUnixTimeMilliseconds();

    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var entries = await backend.LiveRevocationsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (id, expiresAt) in entries)
        {
            _revoked[id] = expiresAt;
        }

        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var (id, expiresAt) in _revoked)
        {
            if (expiresAt <= now)
            {
                _revoked.TryRemove(id, out _);
            }
        }

        Interlocked.Exchange(ref _lastSync, started);
    }

    /// <summary>
    /// Whether the task is revoked. <paramref name="mayPrecedeNotice"/>: the id was chosen by the caller, so it may have
    /// been revoked just before it was sent and the notice may still be on its way; a miss then asks the backend.
    /// </summary>
    public ValueTask<bool> IsRevokedAsync(string taskId, bool mayPrecedeNotice, CancellationToken cancellationToken)
    {
        if (_revoked.TryGetValue(taskId, out var expiresAt) && expiresAt > timeProvider.GetUtcNow().ToUnixTimeMilliseconds())
        {
            return ValueTask.FromResult(true);
        }

        var lastSync = Interlocked.Read(ref _lastSync);
        if (!mayPrecedeNotice && lastSync != long.MinValue && timeProvider.GetElapsedTime(lastSync) < SyncInterval * 2
            && backend.RevocationsConnected)
        {
            return ValueTask.FromResult(false);
        }

        return new ValueTask<bool>(backend.IsRevokedAsync(taskId, cancellationToken));
    }
}
