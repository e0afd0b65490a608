using Microsoft.Extensions.Time.Testing;
using Onboarding.TaskEngine.Execution;
using Onboarding.Tests.TaskEngine.InMemory;

namespace Onboarding.Tests.TaskEngine.Execution;

public sealed class RevocationCacheTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task IsRevokedAsync_TrustsItsSyncedCopy_WhenTheIdWasGenerated()
    {
        var (backend, cache) = await SyncedAsync();

        // Persisted, but the notice has not reached this worker yet.
        await backend.RevokeAsync("generated", Token, notify: false);

        Assert.False(await cache.IsRevokedAsync("generated", mayPrecedeNotice: false, Token));
    }

    [Fact]
    public async Task IsRevokedAsync_AsksTheBackend_WhenTheCallerChoseTheIdAndTheNoticeHasNotArrived()
    {
        var (backend, cache) = await SyncedAsync();

        await backend.RevokeAsync("chosen", Token, notify: false);

        Assert.True(await cache.IsRevokedAsync("chosen", mayPrecedeNotice: true, Token));
        Assert.False(await cache.IsRevokedAsync("other", mayPrecedeNotice: true, Token));
    }

    [Fact]
    public async Task IsRevokedAsync_AnswersFromTheCopy_WhenTheNoticeArrived()
    {
        var (_, cache) = await SyncedAsync();

        cache.Add("noticed");

        Assert.True(await cache.IsRevokedAsync("noticed", mayPrecedeNotice: false, Token));
    }

    [Fact]
    public async Task IsRevokedAsync_AsksTheBackend_WhenTheLastSyncIsTooOld()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        var (backend, cache) = await SyncedAsync(clock);
        await backend.RevokeAsync("late", Token, notify: false);

        clock.Advance(RevocationCache.SyncInterval * 2);

        Assert.True(await cache.IsRevokedAsync("late", mayPrecedeNotice: false, Token));
    }

    private static async Task<(InMemoryResultBackend Backend, RevocationCache Cache)> SyncedAsync(FakeTimeProvider? clock = null)
    {
        clock ??= new FakeTimeProvider(new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero));
        var backend = new InMemoryResultBackend(clock);
        var cache = new RevocationCache(backend, clock);
        await cache.SyncAsync(Token);
        return (backend, cache);
    }
}
