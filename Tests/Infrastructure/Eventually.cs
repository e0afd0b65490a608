namespace Onboarding.Tests.Infrastructure;

/// <summary>Waits for an observed outcome by polling, never by sleeping a guessed time; the timeout only stops a hang.</summary>
internal static class Eventually
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan? interval = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        using var timer = new PeriodicTimer(interval ?? DefaultInterval);
        while (!await condition())
        {
            await timer.WaitForNextTickAsync(deadline.Token);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken, TimeSpan? interval = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, cancellationToken, interval);
}
